"""Metric collection for the reference controller, over real HTTP as in production (§3.1-§3.6).

The reference model plans each source's GETs (`collection.plan`: a URL on every
ready pod, an endpoint, or a metrics API path on the Kubernetes API server) and
reads the replies (`collection.gather`); this module only makes the requests.
Endpoint URLs naming a Service go through `resolve` (cluster DNS in a pod, the
API server's view of the Service out of one). The same bodies also yield the LLM
serving metrics (GPU cache, queue) that the learning system's pattern detector needs.
"""

from __future__ import annotations

from typing import Callable, Protocol, Sequence

import urllib3
from kubernetes.client.exceptions import ApiException

from support.kube.api import KubeApi, error_message
from support.reference.collection import Collection, SourcePlan
from support.reference.metrics import parse_metrics
from support.reference.model import Model
from support.reference.sources import Fetch, Reply
from support.reference.spec import ScalerSpec

SCRAPE_TIMEOUT = 10.0

# vLLM's names for what the pattern detector reads (cache usage is a 0-1 fraction in vLLM).
LLM_METRIC_NAMES = {
    "gpu_cache_usage": "vllm:gpu_cache_usage_perc",
    "requests_running": "vllm:num_requests_running",
    "requests_waiting": "vllm:num_requests_waiting",
    "token_throughput": "vllm:avg_generation_throughput_toks_per_s",
}

__all__ = ["Collection", "collect", "fetch", "llm_metrics", "new_http"]


class Planner(Protocol):
    def __call__(self, spec: ScalerSpec, namespace: str, pods: Sequence[dict], model: Model) -> list[SourcePlan]: ...


class Gatherer(Protocol):
    def __call__(self, plans: Sequence[SourcePlan], replies: Sequence[Sequence[Reply]], pods: Sequence[dict],
                 model: Model) -> Collection: ...


def new_http() -> urllib3.PoolManager:
    """Keep-alive connections to the pods, no proxies (pod IPs are reached directly, as kubelet-less scrapers do)."""
    return urllib3.PoolManager(maxsize=4, retries=False, timeout=urllib3.Timeout(total=SCRAPE_TIMEOUT))


def collect(spec: ScalerSpec, pods: list[dict], model: Model, http: urllib3.PoolManager, api: KubeApi,
            plan: Planner, gather: Gatherer, resolve: Callable[[str], str] = lambda url: url) -> Collection:
    """Read every metric source of `spec`: the model's plan, these requests, the model's reading."""
    plans = plan(spec, spec.namespace, pods, model)
    replies = [[_reply(one, http, api, resolve) for one in source_plan.fetches] for source_plan in plans]
    return gather(plans, replies, pods, model)


def _reply(one: Fetch, http: urllib3.PoolManager, api: KubeApi, resolve: Callable[[str], str]) -> Reply:
    if not one.url:
        return Reply(None, error="no address to read from")
    if one.api == "kubernetes":
        try:
            return Reply(200, api.text("GET", one.url))
        except ApiException as error:
            return Reply(error.status or None, error.body or "", error_message(error))
        except (urllib3.exceptions.HTTPError, OSError) as error:
            return Reply(None, error=str(error))
    try:
        url = resolve(one.url)
    except LookupError as missing:      # a Service with no ready endpoint: refused, as cluster DNS would
        return Reply(None, error=str(missing))
    code, body = fetch(http, url, one.timeout, one.headers)
    return Reply(None, error=body) if code is None else Reply(code, body)


def fetch(http: urllib3.PoolManager, url: str, timeout: float,
          headers: dict[str, str] | None = None) -> tuple[int | None, str]:
    """(status code, body) of a GET; (None, why) when the request itself failed."""
    try:
        response = http.request("GET", url, headers=dict(headers or {}), timeout=urllib3.Timeout(total=timeout))
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as error:
        return None, str(error)
    return response.status, response.data.decode("utf-8", "replace")


def llm_metrics(bodies: list[str]) -> dict[str, float]:
    """Mean of each vLLM serving metric over the scraped bodies; metrics a body lacks are left out."""
    per_body = [parse_metrics(body, LLM_METRIC_NAMES.values()) for body in bodies]
    found: dict[str, float] = {}
    for key, name in LLM_METRIC_NAMES.items():
        values = [parsed[name] for parsed in per_body if name in parsed]
        if values:
            found[key] = sum(values) / len(values)
    return found
