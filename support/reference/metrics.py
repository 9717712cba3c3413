"""Reading a metric from a pod's response body, and per-source snapshots (catalogue §3.1, §3.2).

``parse_metric`` tries JSON first (top-level key, then a depth-first search
of nested objects in document order -- Go iterates a map here, so which
nested object wins is unspecified; ours is deterministic), then Prometheus
text exposition (mean of every series of exactly that name, labels ignored).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Iterable

from .gomath import parse_go_float
from .model import Model
from .spec import DEFAULT_PATH, DEFAULT_PORT, MetricSource


class MetricNotFound(LookupError):
    """The body holds no usable value for the metric."""


@dataclass(frozen=True)
class Snapshot:
    average: float
    count: int
    sum: float
    min: float
    max: float


def snapshot(values: Iterable[float]) -> Snapshot:
    """Aggregate per-pod values; an empty list gives an all-zero snapshot (average 0)."""
    vals = list(values)
    if not vals:
        return Snapshot(0.0, 0, 0.0, 0.0, 0.0)
    total = sum(vals)
    return Snapshot(total / len(vals), len(vals), total, min(vals), max(vals))


def pod_source_snapshot(values: Iterable[float], queried_pods: int,
                        model: Model) -> Snapshot | None:
    """The snapshot of a pod-type source, or None when the source fails.

    ``values`` are the successful per-pod reads of ``queried_pods`` ready
    pods. With no ready pod to query the as-built collector returns an
    empty snapshot read as 0 (quirk ``unready-pods-read-as-zero``); the
    contract treats it as no data.
    """
    vals = list(values)
    if queried_pods == 0:
        return snapshot([]) if model.has("unready-pods-read-as-zero") else None
    return snapshot(vals) if vals else None


def pod_metrics_url(pod_ip: str, source: MetricSource) -> str:
    """``<scheme>://<podIP>:<port><path>`` with inferenceEngineConfig overrides."""
    scheme = "https" if source.protocol_type == "https" else "http"
    port = source.port or DEFAULT_PORT
    path = source.path or DEFAULT_PATH
    engine = source.inference_engine_config
    if engine is not None:
        port = str(engine.metrics_port) if engine.metrics_port else port
        path = engine.metrics_path or path
    return f"{scheme}://{pod_ip}:{port}{path}"


def parse_metric(body: str, metric: str) -> float:
    """The value of ``metric`` in a JSON or Prometheus-text body; MetricNotFound otherwise."""
    value = _from_json(body, metric)
    if value is None:
        value = _from_prometheus_text(body, metric)
    if value is None:
        raise MetricNotFound(f"metric {metric} not found in response")
    return value


def parse_metrics(body: str, metrics: Iterable[str]) -> dict[str, float]:
    """``parse_metric`` of each of ``metrics`` that ``body`` holds, reading the body once (a scrape
    feeds several metrics: the sources' and the learning system's four vLLM signals)."""
    doc = _json_object(body)
    found = {name: search_json(doc, name) for name in metrics} if doc is not None else dict.fromkeys(metrics)
    missing = [name for name, value in found.items() if value is None]
    if missing:     # as text too, even a JSON object: a string holding U+2028 splits into lines
        samples = _prometheus_samples(body)
        for name in missing:
            found[name] = _mean(samples.get(name, ())) if _PROMETHEUS_NAME.fullmatch(name) \
                else _from_prometheus_text(body, name)
    return {name: value for name, value in found.items() if value is not None}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")   # Go's decoder has no NaN/Infinity literals


def _from_json(body: str, metric: str) -> float | None:
    doc = _json_object(body)
    return search_json(doc, metric) if doc is not None else None


def _json_object(body: str) -> dict | None:
    try:
        doc = json.loads(body, parse_constant=_reject_constant)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def search_json(obj: dict, metric: str) -> float | None:
    """``metric`` at the top of ``obj``, else depth-first in nested objects (arrays are not searched)."""
    if metric in obj:
        value = as_number(obj[metric])
        if value is not None:
            return value
    for child in obj.values():
        if isinstance(child, dict):
            value = search_json(child, metric)
            if value is not None:
                return value
    return None


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return parse_go_float(value)
    return None


_SAMPLE_TAIL = r"(?:\{[^}]*\})?\s+([0-9eE.+\-]+)"
_PROMETHEUS_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
# A sample line of any metric with a Prometheus name: the name is the longest run of name characters,
# so for such a name this reads a line exactly as _from_prometheus_text's pattern for that name does.
_ANY_SAMPLE = re.compile(f"({_PROMETHEUS_NAME.pattern})" + _SAMPLE_TAIL)


def _from_prometheus_text(body: str, metric: str) -> float | None:
    pattern = re.compile(re.escape(metric) + _SAMPLE_TAIL)
    values = []
    for line in _sample_lines(body):
        match = pattern.match(line)
        if match:
            _append_finite(values, match.group(1))
    return _mean(values)


def _prometheus_samples(body: str) -> dict[str, list[float]]:
    """Every finite sample of the body by metric name, in line order."""
    samples: dict[str, list[float]] = {}
    for line in _sample_lines(body):
        match = _ANY_SAMPLE.match(line)
        if match:
            _append_finite(samples.setdefault(match.group(1), []), match.group(2))
    return samples


def _sample_lines(body: str) -> Iterable[str]:
    for raw in body.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            yield line


def _append_finite(values: list[float], text: str) -> None:
    try:
        value = float(text)
    except ValueError:
        return
    if math.isfinite(value):
        values.append(value)


def _mean(values) -> float | None:
    return sum(values) / len(values) if values else None
