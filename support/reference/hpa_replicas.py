"""The Kubernetes HPA replica calculator for the metric kinds the HPA mapping produces.

A faithful port of ``pkg/controller/podautoscaler/replica_calculator.go`` and
``metrics/{client,utilization}.go`` (Kubernetes v1.37) for: Resource with an
Utilization target (metrics.k8s.io PodMetrics), Pods with an AverageValue
target (custom.metrics.k8s.io), External with a Value or AverageValue target
(external.metrics.k8s.io). Values are integer milli-units as in Kubernetes.

Pods: deleting or Failed pods are ignored, Pending pods are unready, Running
pods without a metric are missing; for cpu only, a pod whose readiness or
samples are too fresh is unready too. Unready pods count as 0 % on a
scale-up; missing pods count as 0 on a scale-up and as the target (Pods) or
``max(100 %, target)`` of their request (Resource) on a scale-down; a change
of direction after that keeps the current count. ``desired = ceil(ratio x
pods)`` outside the tolerance band ``[1 - down, 1 + up]`` (inclusive).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from .durations import parse_go_duration
from .learning.timefmt import parse_rfc3339
from .quantity import QuantityError, milli_value

CPU_INITIALIZATION_PERIOD = 300.0
INITIAL_READINESS_DELAY = 30.0
DEFAULT_METRIC_WINDOW = 60.0
DEFAULT_TOLERANCE = 0.1
INT32_MAX = 2**31 - 1


class MetricError(Exception):
    """A metric the HPA could not compute, with the error text Kubernetes gives."""


@dataclass(frozen=True)
class Tolerances:
    down: float = DEFAULT_TOLERANCE
    up: float = DEFAULT_TOLERANCE

    def within(self, ratio: float) -> bool:
        return 1.0 - self.down <= ratio <= 1.0 + self.up


@dataclass(frozen=True)
class Sample:
    value: int                      # milli-units
    timestamp: float | None = None
    window: float = DEFAULT_METRIC_WINDOW


@dataclass(frozen=True)
class Proposal:
    replicas: int
    usage: int                      # the current value: milli (or % for utilization)
    raw: int = 0                    # utilization only: average usage in milli-units


@dataclass
class _Groups:
    ready: int = 0
    unready: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    ignored: set[str] = field(default_factory=set)


# -- reading the metrics APIs -------------------------------------------------------
def pod_resource_samples(items: list[Mapping[str, Any]], resource: str) -> dict[str, Sample]:
    """metrics.k8s.io PodMetrics items -> pod -> summed container usage (a pod missing it is left out)."""
    if not items:
        raise MetricError("no metrics returned from resource metrics API")
    samples = {}
    for item in items:
        containers = item.get("containers") or []
        usages = [(c.get("usage") or {}).get(resource) for c in containers]
        if not containers or any(u is None for u in usages):
            continue
        samples[item["metadata"]["name"]] = Sample(sum(milli_value(u) for u in usages),
                                                   parse_rfc3339(item.get("timestamp")),
                                                   _window(item.get("window")))
    return samples


def custom_samples(items: list[Mapping[str, Any]]) -> dict[str, Sample]:
    """custom.metrics.k8s.io MetricValueList items -> pod -> value."""
    if not items:
        raise MetricError("no metrics returned from custom metrics API")
    samples = {}
    for item in items:
        window = item.get("windowSeconds")
        samples[item["describedObject"]["name"]] = Sample(
            milli_value(item["value"]), parse_rfc3339(item.get("timestamp")),
            DEFAULT_METRIC_WINDOW if window is None else float(window))
    return samples


def external_values(items: list[Mapping[str, Any]]) -> list[int]:
    """external.metrics.k8s.io ExternalMetricValueList items -> values."""
    if not items:
        raise MetricError("no metrics returned from external metrics API")
    return [milli_value(item["value"]) for item in items]


def _window(text: str | None) -> float:
    try:
        return parse_go_duration(text)
    except ValueError:  # also None and "": no window given
        return DEFAULT_METRIC_WINDOW


# -- pods ------------------------------------------------------------------------------
def pod_requests(pod: Mapping[str, Any], resource: str) -> int:
    """Sum of the containers' (and restartable init containers') requests, milli; MetricError if one lacks it."""
    spec, name = pod.get("spec") or {}, pod["metadata"]["name"]
    containers = list(spec.get("containers") or [])
    containers += [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    total = 0
    for container in containers:
        request = ((container.get("resources") or {}).get("requests") or {}).get(resource)
        if request is None:
            raise MetricError(f"missing request for {resource} in container "
                              f"{container.get('name', '')} of Pod {name}")
        try:
            total += milli_value(request)
        except QuantityError as error:
            raise MetricError(str(error)) from None
    return total


def _ready_condition(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition
    return None


def ready_running_count(pods: list[Mapping[str, Any]]) -> int:
    """Running pods whose Ready condition is True."""
    if not pods:
        raise MetricError("no pods returned by selector while calculating replica count")
    return sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Running"
               and (_ready_condition(p) or {}).get("status") == "True")


def group_pods(pods: list[Mapping[str, Any]], samples: Mapping[str, Sample], resource: str,
               now: float) -> _Groups:
    groups = _Groups()
    for pod in pods:
        name, status = pod["metadata"]["name"], pod.get("status") or {}
        if pod["metadata"].get("deletionTimestamp") or status.get("phase") == "Failed":
            groups.ignored.add(name)
        elif status.get("phase") == "Pending":
            groups.unready.add(name)
        elif name not in samples:
            groups.missing.add(name)
        elif resource == "cpu" and _cpu_unready(pod, samples[name], now):
            groups.unready.add(name)
        else:
            groups.ready += 1
    return groups


def _cpu_unready(pod: Mapping[str, Any], sample: Sample, now: float) -> bool:
    condition = _ready_condition(pod)
    start = parse_rfc3339((pod.get("status") or {}).get("startTime"))
    if condition is None or start is None:
        return True
    transition = parse_rfc3339(condition.get("lastTransitionTime")) or 0.0
    if start + CPU_INITIALIZATION_PERIOD > now:
        stamp = sample.timestamp if sample.timestamp is not None else now
        return condition.get("status") == "False" or stamp < transition + sample.window
    return condition.get("status") == "False" and start + INITIAL_READINESS_DELAY > transition


# -- the calculators ---------------------------------------------------------------------
def resource_utilization_replicas(current: int, target_utilization: int, resource: str,
                                  tolerances: Tolerances, pods: list[Mapping[str, Any]],
                                  samples: dict[str, Sample], now: float) -> Proposal:
    """``GetResourceReplicas``: utilization in whole percent of the pods' requests."""
    if not pods:
        raise MetricError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, samples, resource, now)
    metrics = {n: s.value for n, s in samples.items() if n not in groups.ignored | groups.unready}
    if not metrics:
        raise MetricError("did not receive metrics for targeted pods (pods might be unready)")
    requests = {p["metadata"]["name"]: pod_requests(p, resource) for p in pods}
    ratio, utilization, raw = _utilization(metrics, requests, target_utilization)
    unready_up = bool(groups.unready) and ratio > 1.0
    if not unready_up and not groups.missing:
        if tolerances.within(ratio):
            return Proposal(current, utilization, raw)
        return Proposal(_ceil_int32(ratio * groups.ready), utilization, raw)
    fallback = max(100, target_utilization)
    for name in groups.missing:
        if ratio < 1.0:
            metrics[name] = requests[name] * fallback // 100
        elif ratio > 1.0:
            metrics[name] = 0
    if unready_up:
        metrics.update({name: 0 for name in groups.unready})
    new_ratio, _, _ = _utilization(metrics, requests, target_utilization)
    return Proposal(_rebalanced(current, ratio, new_ratio, len(metrics), tolerances), utilization, raw)


def pods_metric_replicas(current: int, target_milli: int, tolerances: Tolerances,
                         pods: list[Mapping[str, Any]], samples: dict[str, Sample],
                         now: float) -> Proposal:
    """``GetMetricReplicas``/``calcPlainMetricReplicas``: the average per pod against the target."""
    if not pods:
        raise MetricError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, samples, "", now)
    metrics = {n: s.value for n, s in samples.items() if n not in groups.ignored | groups.unready}
    if not metrics:
        raise MetricError("did not receive metrics for targeted pods (pods might be unready)")
    ratio, usage = _usage(metrics, target_milli)
    unready_up = bool(groups.unready) and ratio > 1.0
    if not unready_up and not groups.missing:
        if tolerances.within(ratio):
            return Proposal(current, usage)
        return Proposal(_ceil_int32(ratio * groups.ready), usage)
    for name in groups.missing:
        if ratio < 1.0:
            metrics[name] = target_milli
        elif ratio > 1.0:
            metrics[name] = 0
    if unready_up:
        metrics.update({name: 0 for name in groups.unready})
    new_ratio, _ = _usage(metrics, target_milli)
    return Proposal(_rebalanced(current, ratio, new_ratio, len(metrics), tolerances), usage)


def external_value_replicas(current: int, target_milli: int, tolerances: Tolerances,
                            values: list[int], pods: list[Mapping[str, Any]]) -> Proposal:
    """``GetExternalMetricReplicas``: the sum of the values against the target, times the ready pods."""
    usage = min(sum(values), 2**63 - 1)
    ratio = usage / target_milli
    if current == 0:
        return Proposal(_ceil_int32(ratio), usage)
    if tolerances.within(ratio):
        return Proposal(current, usage)
    try:
        ready = ready_running_count(pods)
    except MetricError as error:
        raise MetricError(f"unable to calculate ready pods: {error}") from None
    return Proposal(_ceil_int32(ratio * ready), usage)


def external_average_replicas(status_replicas: int, target_milli: int, tolerances: Tolerances,
                              values: list[int]) -> Proposal:
    """``GetExternalPerPodMetricReplicas``: the sum against the target per replica of the target's status."""
    usage = min(sum(values), 2**63 - 1)
    replicas = status_replicas
    ratio = usage / (target_milli * status_replicas) if status_replicas else math.inf
    if not tolerances.within(ratio):
        replicas = _ceil_int32(usage / target_milli)
    average = math.ceil(usage / status_replicas) if status_replicas else 2**63 - 1
    return Proposal(replicas, average)


def _utilization(metrics: dict[str, int], requests: dict[str, int],
                 target: int) -> tuple[float, int, int]:
    total = requests_total = entries = 0
    for name, value in metrics.items():
        if name in requests:
            total, requests_total, entries = total + value, requests_total + requests[name], entries + 1
    if requests_total == 0:
        raise MetricError("no metrics returned matched known pods")
    utilization = _go_div(total * 100, requests_total)
    return utilization / target, utilization, _go_div(total, entries)


def _usage(metrics: dict[str, int], target: int) -> tuple[float, int]:
    usage = _go_div(sum(metrics.values()), len(metrics))
    return usage / target, usage


def _rebalanced(current: int, ratio: float, new_ratio: float, count: int,
                tolerances: Tolerances) -> int:
    if tolerances.within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current
    replicas = _ceil_int32(new_ratio * count)
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current
    return replicas


def _go_div(a: int, b: int) -> int:
    """Go's integer division truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _ceil_int32(x: float) -> int:
    return INT32_MAX if x > INT32_MAX else math.ceil(x)
