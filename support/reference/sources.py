"""Where each metric source is read from, and how a reply becomes a value (catalogue §3.2-§3.6).

``plan_fetches`` says which GETs a source needs (``Fetch``: a URL on a pod, an
endpoint, or a Kubernetes API path); ``read_value`` turns one ``Reply`` into a
float or raises ``SourceError`` with the controller's text. ``collection``
puts them together per source and per scaler. Pure: the operator does the GETs.

- pod / inferenceEngine: every ready pod's ``<scheme>://<podIP>:<port><path>``,
  JSON or Prometheus text (``metrics.parse_metric``);
- resource: every ready pod's PodMetrics (metrics.k8s.io): usage / requests x
  100, or the raw usage (millicores, bytes) when nothing is requested;
- custom: contract, every ready pod's custom.metrics.k8s.io/v1beta2 MetricValueList;
  as built the resource fetcher (quirk ``custom-uses-resource-fetcher``, §7.10);
- prometheus: ``<endpoint>/api/v1/query?query=<promQL>``, a vector (the mean of
  several series) -- or, contract, a scalar (quirk ``prometheus-scalar-unsupported``);
- external: the endpoint with ``namespace``, ``metric`` and ``label_<k>`` of the
  first running pod as query parameters, the source's headers, a number or JSON
  body (contract: surrounding whitespace allowed, quirk ``external-body-not-trimmed``).
Error texts the catalogue does not quote are marked ``# ours``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

from .gomath import parse_go_float
from .metrics import MetricNotFound, as_number, parse_metric, pod_metrics_url, search_json
from .model import Model
from .quantity import QuantityError, parse as parse_quantity
from .spec import MetricSource

POD_TIMEOUT, ENDPOINT_TIMEOUT = 10.0, 30.0
AGGREGATE = "_aggregate"
RESOURCE_METRICS = ("cpu", "memory")
GENERIC_KEYS = ("value", "metric", "result", "data")


class SourceError(Exception):
    """A source (or one pod of it) could not be read; the text is what the controller reports."""


@dataclass(frozen=True)
class Fetch:
    key: str                     # the pod's name, or "_aggregate"
    url: str                     # http(s) URL, or a Kubernetes API path when api == "kubernetes";
                                 # "" for a pod without an IP: send nothing, answer Reply(None)
    api: str = "http"            # "http" | "kubernetes"
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = POD_TIMEOUT


@dataclass(frozen=True)
class Reply:
    status: int | None           # None when the request itself failed
    body: str = ""
    error: str = ""              # the transport error when status is None


def reads_pods(source: MetricSource) -> bool:
    """True for sources read from each ready pod (as opposed to one endpoint)."""
    return source.metric_source_type in ("pod", "inferenceEngine", "resource", "custom")


def plan_fetches(source: MetricSource, namespace: str, ready: list[Mapping[str, Any]],
                 running: list[Mapping[str, Any]], model: Model) -> list[Fetch]:
    """The GETs one source needs; SourceError for what fails before any request."""
    kind = source.metric_source_type
    if kind in ("pod", "inferenceEngine"):
        return [_pod_fetch(source, pod) for pod in ready]
    if kind == "resource" or (kind == "custom" and model.has("custom-uses-resource-fetcher")):
        return [Fetch(_name(p), f"/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{_name(p)}",
                      "kubernetes") for p in ready]
    if kind == "custom":
        return [Fetch(_name(p), f"/apis/custom.metrics.k8s.io/v1beta2/namespaces/{namespace}/pods/"
                                f"{_name(p)}/{source.target_metric}", "kubernetes") for p in ready]
    if kind == "prometheus":
        return [Fetch(AGGREGATE, prometheus_url(source), timeout=ENDPOINT_TIMEOUT)]
    if kind == "external":
        return [Fetch(AGGREGATE, external_url(source, namespace, running), headers=dict(source.headers),
                      timeout=ENDPOINT_TIMEOUT)]
    raise SourceError(f"unsupported metric source type: {kind}")     # ours; the CRD enum prevents it


def _name(pod: Mapping[str, Any]) -> str:
    return pod["metadata"]["name"]


def _pod_fetch(source: MetricSource, pod: Mapping[str, Any]) -> Fetch:
    ip = (pod.get("status") or {}).get("podIP")
    return Fetch(_name(pod), pod_metrics_url(ip, source) if ip else "")


def prometheus_url(source: MetricSource) -> str:
    if not source.prom_ql:
        raise SourceError("promQL query is required for prometheus metric source")
    if not source.endpoint:
        raise SourceError("endpoint is required for prometheus metric source")
    endpoint = source.endpoint if source.endpoint[:4] == "http" else "http://" + source.endpoint
    if not endpoint.endswith("/"):
        endpoint += "/"
    return f"{endpoint}api/v1/query?query={quote_plus(source.prom_ql)}"


def external_url(source: MetricSource, namespace: str, running: list[Mapping[str, Any]]) -> str:
    """The endpoint with namespace, metric and the first running pod's labels as label_<k>, sorted by key."""
    if not source.endpoint:
        raise SourceError("endpoint is required for external metric source")
    endpoint = source.endpoint
    if len(endpoint) >= 4 and not endpoint.startswith("http"):
        endpoint = "http://" + endpoint
    parts = urlsplit(endpoint)
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(key, []).append(value)
    first = (running[0] if running else {}).get("metadata") or {}
    query["namespace"] = [first.get("namespace") or namespace]
    query["metric"] = [source.target_metric]
    for key, value in (first.get("labels") or {}).items():
        query[f"label_{key}"] = [value]
    encoded = "&".join(f"{quote_plus(k)}={quote_plus(v)}"
                       for k in sorted(query) for v in query[k])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, encoded, parts.fragment))


# -- replies --------------------------------------------------------------------------
def read_value(source: MetricSource, fetch: Fetch, reply: Reply, model: Model,
               pod: Mapping[str, Any] | None = None) -> float:
    """The value one reply gives for ``source``; SourceError with the controller's words otherwise."""
    kind = source.metric_source_type
    if kind in ("pod", "inferenceEngine"):
        return _pod_value(source, fetch, reply)
    if kind == "resource" or (kind == "custom" and model.has("custom-uses-resource-fetcher")):
        return resource_value(source.target_metric, _ok_json(fetch, reply, "pod metrics"), pod or {})
    if kind == "custom":
        return custom_value(source.target_metric, fetch.key, _ok_json(fetch, reply, "custom metric"))
    if kind == "prometheus":
        return prometheus_value(_ok(reply, "prometheus query failed"), model)
    return external_value(_ok(reply, "external query failed"), source.target_metric, model)


def _pod_value(source: MetricSource, fetch: Fetch, reply: Reply) -> float:
    if not fetch.url:
        raise SourceError(f"pod {fetch.key} has no IP address")     # ours
    if reply.status is None:
        raise SourceError(reply.error)
    if reply.status != 200:
        raise SourceError(f"unexpected status code {reply.status} from {fetch.url}")
    try:
        return parse_metric(reply.body, source.target_metric)
    except MetricNotFound as error:
        raise SourceError(str(error)) from None


def _ok(reply: Reply, what: str) -> str:
    if reply.status is None:
        raise SourceError(reply.error)
    if reply.status != 200:
        raise SourceError(f"{what} with status {reply.status}: {reply.body}")
    return reply.body


def _ok_json(fetch: Fetch, reply: Reply, what: str) -> Any:
    if reply.status is None:
        raise SourceError(reply.error)
    if reply.status != 200:
        raise SourceError(f"failed to get {what} for pod {fetch.key}: status {reply.status}: {reply.body}")  # ours
    try:
        return json.loads(reply.body)
    except ValueError:
        raise SourceError(f"failed to decode {what} for pod {fetch.key}") from None                       # ours


def resource_value(metric: str, pod_metrics: Mapping[str, Any], pod: Mapping[str, Any]) -> float:
    """Utilization in % of the containers' requests; the raw usage when nothing is requested (§3.3)."""
    containers = pod_metrics.get("containers") or []
    if not containers:
        return 0.0
    if metric not in RESOURCE_METRICS:
        raise SourceError(f"unsupported resource metric: {metric}")
    usage = sum(_amount(metric, (c.get("usage") or {}).get(metric, "0")) for c in containers)
    request = sum(_amount(metric, ((c.get("resources") or {}).get("requests") or {}).get(metric, "0"))
                  for c in (pod.get("spec") or {}).get("containers") or [])
    return float(usage) / float(request) * 100 if request else float(usage)


def _amount(metric: str, text: Any) -> int:
    try:
        quantity = parse_quantity(text)
    except QuantityError:
        raise SourceError(f"invalid {metric} quantity {text!r}") from None                    # ours
    return quantity.milli_value() if metric == "cpu" else quantity.value_int()


def custom_value(metric: str, pod: str, listing: Mapping[str, Any]) -> float:
    """The pod's value in a custom.metrics.k8s.io MetricValueList."""
    for item in listing.get("items") or []:
        if (item.get("describedObject") or {}).get("name", pod) == pod:
            try:
                return float(parse_quantity(item.get("value")).value)
            except QuantityError:
                raise SourceError(f"invalid value {item.get('value')!r} for custom metric {metric}") from None  # ours
    raise SourceError(f"custom metric {metric} not found for pod {pod}")                                    # ours


def prometheus_value(body: str, model: Model) -> float:
    """The Prometheus query API's answer: one series' value, the mean of several, or a scalar."""
    try:
        doc = json.loads(body)
        if doc.get("status") != "success":
            raise SourceError(f"prometheus query failed: {doc.get('errorType', '')}: {doc.get('error', '')}")  # ours
        data = doc.get("data") or {}
        result = data.get("result")
    except (ValueError, AttributeError):
        raise SourceError("failed to decode prometheus response") from None                          # ours
    if data.get("resultType") == "scalar" or (isinstance(result, list) and result[:1] and not isinstance(result[0], dict)):
        if model.has("prometheus-scalar-unsupported"):
            raise SourceError("failed to decode prometheus response")                                 # ours
        return _prometheus_number(result[1] if isinstance(result, list) and len(result) > 1 else None)
    if not isinstance(result, list):
        raise SourceError("failed to decode prometheus response")                                     # ours
    if not result:
        raise SourceError("no data returned from Prometheus query")
    values = [parse_go_float(str((sample.get("value") or [None, None])[1])) for sample in result]
    if len(result) == 1 and values[0] is None:
        raise SourceError(f"failed to parse value from Prometheus response: {result[0].get('value')}")  # ours
    usable = [v for v in values if v is not None]
    if not usable:
        raise SourceError("no valid values in Prometheus response")
    return sum(usable) / len(usable)


def _prometheus_number(text: Any) -> float:
    value = parse_go_float(str(text)) if text is not None else None
    if value is None:
        raise SourceError("no valid values in Prometheus response")
    return value


def external_value(body: str, metric: str, model: Model) -> float:
    """§3.6's order: a bare number, then {value|data|error}, then a search of the JSON object."""
    text = body if model.has("external-body-not-trimmed") else body.strip()
    number = parse_go_float(text)
    if number is not None:
        return number
    try:
        doc = json.loads(body)
    except ValueError:
        raise SourceError(f"failed to parse external metric response: {body[:100]!r}") from None       # ours
    if not isinstance(doc, dict):
        raise SourceError(f"failed to parse external metric response: {body[:100]!r}")                 # ours
    typed = _typed_response(doc, metric)
    if typed is not None:
        return typed
    found = search_json(doc, metric)
    if found is not None:
        return found
    for key in GENERIC_KEYS:
        value = as_number(doc.get(key))
        if value is not None:
            return value
    raise SourceError(f"metric {metric} not found in response")


def _typed_response(doc: Mapping[str, Any], metric: str) -> float | None:
    """Go's struct {value any, metric string, data map, error string}; None when it does not decode or says nothing."""
    if any(not isinstance(doc.get(k), t) for k, t in (("metric", str), ("data", dict), ("error", str))
           if doc.get(k) is not None):
        return None
    if doc.get("error"):
        raise SourceError(f"external metric error: {doc['error']}")                                     # ours
    if doc.get("value") is not None:
        value = as_number(doc["value"])
        if value is None:
            raise SourceError(f"unexpected value type in external metric response: {doc['value']!r}")  # ours
        return value
    return as_number((doc.get("data") or {}).get(metric))
