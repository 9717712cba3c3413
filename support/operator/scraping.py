"""Metric collection for the reference controller, over real HTTP as in production (§3.1, §3.2).

Each pod-type source is read from every Ready pod at `http://<podIP>:<port><path>`;
the values are parsed by the reference model's parser and aggregated into a snapshot.
The same bodies also yield the LLM serving metrics (GPU cache, queue) that the
learning system's pattern detector needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import urllib3

from support.reference.metrics import MetricNotFound, Snapshot, parse_metric, pod_metrics_url, pod_source_snapshot
from support.reference.model import Model
from support.reference.pods import ready_pods, running_pods
from support.reference.spec import MetricSource, ScalerSpec

POD_SOURCE_TYPES = ("pod", "inferenceEngine")
SCRAPE_TIMEOUT = 10.0

# vLLM's names for what the pattern detector reads (cache usage is a 0-1 fraction in vLLM).
LLM_METRIC_NAMES = {
    "gpu_cache_usage": "vllm:gpu_cache_usage_perc",
    "requests_running": "vllm:num_requests_running",
    "requests_waiting": "vllm:num_requests_waiting",
    "token_throughput": "vllm:avg_generation_throughput_toks_per_s",
}


@dataclass
class Collection:
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)  # bodies of the first pod source, for LLM metrics


def new_http() -> urllib3.PoolManager:
    """Keep-alive connections to the pods, no proxies (pod IPs are reached directly, as kubelet-less scrapers do)."""
    return urllib3.PoolManager(maxsize=4, retries=False, timeout=urllib3.Timeout(total=SCRAPE_TIMEOUT))


def collect(spec: ScalerSpec, pods: list[dict], model: Model, http: urllib3.PoolManager) -> Collection:
    """Read every metric source of `spec` from the workload's pods."""
    result = Collection()
    running = running_pods(pods)
    for source in spec.metrics_sources:
        if not running:
            result.errors[source.target_metric] = "no pods to collect metrics from"
            continue
        if source.metric_source_type not in POD_SOURCE_TYPES:
            result.errors[source.target_metric] = (
                f"metric source type {source.metric_source_type!r} is not modelled by the embedded cluster")
            continue
        _collect_pod_source(source, ready_pods(running), model, http, result)
    return result


def _collect_pod_source(source: MetricSource, ready: list[dict], model: Model, http: urllib3.PoolManager,
                        result: Collection) -> None:
    values, failures, bodies = [], [], []
    for pod in ready:
        try:
            body = _fetch(pod, source, http)
            values.append(parse_metric(body, source.target_metric))
            bodies.append(body)
        except (MetricNotFound, urllib3.exceptions.HTTPError, OSError, ValueError) as error:
            failures.append(f"{pod['metadata']['name']}: {error}")
    snap = pod_source_snapshot(values, len(ready), model)
    if snap is None:
        result.errors[source.target_metric] = ("failed to collect metrics from any pod: " + "; ".join(failures)
                                               if failures else "no ready pods to query")
        return
    result.snapshots[source.target_metric] = snap
    if not result.bodies:
        result.bodies = bodies


def _fetch(pod: dict, source: MetricSource, http: urllib3.PoolManager) -> str:
    ip = (pod.get("status") or {}).get("podIP")
    if not ip:
        raise ValueError("pod has no IP")
    url = pod_metrics_url(ip, source)
    response = http.request("GET", url)
    if response.status != 200:
        raise ValueError(f"unexpected status code {response.status} from {url}")
    return response.data.decode("utf-8", "replace")


def llm_metrics(bodies: list[str]) -> dict[str, float]:
    """Mean of each vLLM serving metric over the scraped bodies; metrics a body lacks are left out."""
    found: dict[str, float] = {}
    for key, name in LLM_METRIC_NAMES.items():
        values = []
        for body in bodies:
            try:
                values.append(parse_metric(body, name))
            except MetricNotFound:
                pass
        if values:
            found[key] = sum(values) / len(values)
    return found
