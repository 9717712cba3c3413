"""Collecting every metric source of a scaler in one tick (catalogue §3.1, §7.11-§7.13).

``plan(spec, namespace, pods, model)`` -> one ``SourcePlan`` per source: the
GETs to make, or an outcome decided before any request. The operator makes the
GETs and hands the replies back, aligned with ``plan.fetches``, to
``gather(plans, replies, pods, model)`` -> ``Collection`` (snapshots by metric,
errors by metric).

Contract: per-pod sources read the Running and Ready pods; no running pod ->
``no pods to collect metrics from``; running but none ready -> no snapshot
(``no ready pods to collect metrics from``); every pod failing -> ``failed to
collect metrics from any pod: ...``; some failing -> the mean of the others.
Endpoint sources (prometheus, external) do not need pods, so they are read at
zero replicas too (scale from zero).
As built: no running pod fails every source, endpoints too (quirk
``no-metrics-without-pods``, §7.11); no ready pod gives an empty snapshot read
as 0 (quirk ``unready-pods-read-as-zero``, §7.12). Two sources with the same
``targetMetric``: the later one in spec order that succeeds wins (Go leaves it
to chance, §7.13).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .metrics import Snapshot, snapshot
from .model import Model
from .pods import ready_pods, running_pods
from .sources import Fetch, Reply, SourceError, plan_fetches, read_value, reads_pods
from .spec import MetricSource, ScalerSpec

NO_PODS = "no pods to collect metrics from"
NO_READY_PODS = "no ready pods to collect metrics from"     # ours: the contract's "no data"
ALL_PODS_FAILED = "failed to collect metrics from any pod: "


@dataclass(frozen=True)
class SourcePlan:
    source: MetricSource
    fetches: tuple[Fetch, ...] = ()
    outcome: Snapshot | str | None = None     # decided before any request: a snapshot or an error


@dataclass
class Collection:
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)    # the first pod source's bodies (LLM serving metrics)


def plan(spec: ScalerSpec, namespace: str, pods: Sequence[Mapping[str, Any]], model: Model) -> list[SourcePlan]:
    running = running_pods(pods)
    ready = ready_pods(running)
    return [_plan_one(source, namespace, running, ready, model) for source in spec.metrics_sources]


def _plan_one(source: MetricSource, namespace: str, running: list, ready: list, model: Model) -> SourcePlan:
    if not running and (reads_pods(source) or model.has("no-metrics-without-pods")):
        return SourcePlan(source, outcome=NO_PODS)
    if reads_pods(source) and not ready:
        empty = model.has("unready-pods-read-as-zero")
        return SourcePlan(source, outcome=snapshot([]) if empty else NO_READY_PODS)
    try:
        return SourcePlan(source, tuple(plan_fetches(source, namespace, ready, running, model)))
    except SourceError as error:
        return SourcePlan(source, outcome=str(error))


def gather(plans: Sequence[SourcePlan], replies: Sequence[Sequence[Reply]],
           pods: Sequence[Mapping[str, Any]], model: Model) -> Collection:
    """Snapshots and errors by metric from the replies to each plan's fetches."""
    by_name = {p["metadata"]["name"]: p for p in pods}
    result = Collection()
    for source_plan, answers in zip(plans, replies):
        metric = source_plan.source.target_metric
        outcome = source_plan.outcome
        if outcome is None:
            outcome, bodies = _read(source_plan, answers, by_name, model)
            if bodies and not result.bodies:
                result.bodies = bodies
        if isinstance(outcome, Snapshot):
            result.snapshots[metric] = outcome
            result.errors.pop(metric, None)
        elif metric not in result.snapshots:
            result.errors[metric] = outcome
    return result


def _read(source_plan: SourcePlan, answers: Sequence[Reply], pods: Mapping[str, Mapping[str, Any]],
          model: Model) -> tuple[Snapshot | str, list[str]]:
    source = source_plan.source
    values, failures, bodies = [], [], []
    for fetch, reply in zip(source_plan.fetches, answers):
        try:
            values.append(read_value(source, fetch, reply, model, pods.get(fetch.key)))
            if source.metric_source_type in ("pod", "inferenceEngine"):
                bodies.append(reply.body)
        except SourceError as error:
            failures.append(f"{fetch.key}: {error}" if reads_pods(source) else str(error))
    if values:
        return snapshot(values), bodies
    if reads_pods(source):
        return ALL_PODS_FAILED + "; ".join(failures), []
    return failures[0] if failures else "no reply", []        # "no reply": ours, the operator sent none
