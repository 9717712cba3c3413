"""The Kubernetes HorizontalPodAutoscaler controller, as the embedded cluster runs it for ``<scaler>-hpa``.

A port of ``pkg/controller/podautoscaler/horizontal.go`` (Kubernetes v1.37 with
its default feature gates: configurable tolerance GA, HPAScaleToZero beta on)
for the metric kinds of ``hpa_mapping``. Every sync (15 s): read the target's
scale; at 0 replicas scaling is disabled unless the HPA itself scaled to zero;
outside ``[min, max]`` go to the bound; else a proposal per metric
(``hpa_replicas``), the largest wins (a failed metric blocks a scale-down and
all failing block everything), then ``hpa_normalize``: stabilization windows
(the highest recommendation of the last 300 s by default), policies over
their periods, ``[min, max]``.

Use: ``decision = reconcile(hpa, inputs, state)``; if ``decision.rescale``
write ``decision.desired`` to the target's scale, then
``finish(decision, state, now, write_error)`` gives the final status
(``decision.status.to_json()``) and the events. ``HpaState`` is the
controller's memory of one HPA (lost on restart).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from .hpa_normalize import HpaState, normalize
from .hpa_replicas import (MetricError, Proposal, Tolerances, custom_samples, external_average_replicas,
                           external_value_replicas, external_values, pod_resource_samples,
                           pods_metric_replicas, resource_utilization_replicas)
from .hpa_status import HpaGates, HpaStatus, metric_status
from .quantity import QuantityError, parse

SYNC_PERIOD = 15.0
DEFAULT_SCALE_UP = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                 {"type": "Percent", "value": 100, "periodSeconds": 15}]}
DEFAULT_SCALE_DOWN = {"selectPolicy": "Max",
                      "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


@dataclass(frozen=True)
class HpaInputs:
    """What one sync reads from the cluster; a metrics API that failed is given as its error text."""

    now: float
    current: int                                  # the target's scale: spec.replicas
    status_replicas: int = 0                      # ... status.replicas
    selector: str = ""                            # ... status.selector
    pods: tuple[Mapping[str, Any], ...] = ()      # the pods the selector matches
    pod_metrics: tuple[Mapping[str, Any], ...] | str = ()              # metrics.k8s.io PodMetrics items
    custom_metrics: Mapping[str, Any] = field(default_factory=dict)    # name -> MetricValue items | error
    external_metrics: Mapping[str, Any] = field(default_factory=dict)  # name -> ExternalMetricValue items | error
    scale_error: str | None = None                # reading the target's scale failed
    gates: HpaGates = HpaGates()                  # the cluster's feature gates (v1.37 defaults)


@dataclass(frozen=True)
class HpaDecision:
    desired: int
    rescale: bool
    reason: str                       # why, as in the SuccessfulRescale event
    status: HpaStatus
    events: tuple[tuple[str, str, str], ...] = ()     # (type, reason, message)
    error: str | None = None
    current: int = 0
    previous_desired: int = 0
    hpa: Mapping[str, Any] = field(default_factory=dict)
    gates: HpaGates = HpaGates()


def apply_defaults(hpa: Mapping[str, Any]) -> dict:
    """What the API server stores: minReplicas 1, behaviour rules filled in when ``behavior`` is set."""
    spec = dict(hpa.get("spec") or {})
    spec.setdefault("minReplicas", 1)
    if spec.get("behavior") is not None:
        behavior = spec["behavior"]
        spec["behavior"] = {"scaleUp": _filled(behavior.get("scaleUp"), DEFAULT_SCALE_UP),
                            "scaleDown": _filled(behavior.get("scaleDown"), DEFAULT_SCALE_DOWN)}
    return {**hpa, "spec": spec}


def _filled(rules: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict:
    return {**defaults, **{k: v for k, v in (rules or {}).items() if v is not None}}


def reconcile(hpa: Mapping[str, Any], inputs: HpaInputs, state: HpaState) -> HpaDecision:
    """One sync of one HPA up to the decision (no write yet)."""
    hpa = apply_defaults(hpa)
    spec, now, current = hpa["spec"], inputs.now, inputs.current
    status = HpaStatus.from_json(hpa.get("status"))
    base = HpaDecision(current, False, "", status, current=current,
                       previous_desired=status.desired_replicas, hpa=hpa, gates=inputs.gates)
    if inputs.scale_error is not None:
        status = status.with_condition("AbleToScale", "False", "FailedGetScale",
                                       "the HPA controller was unable to get the target's current "
                                       f"scale: {inputs.scale_error}", now)
        return replace(base, status=status, events=(("Warning", "FailedGetScale", inputs.scale_error),),
                       error=f"failed to query scale subresource for {_reference(hpa)}: {inputs.scale_error}")
    status = status.with_condition("AbleToScale", "True", "SucceededGetScale",
                                   "the HPA controller was able to get the target's current scale", now)
    if not state.recommendations:
        state.recommendations.append((now, current))
    minimum, maximum = int(spec["minReplicas"]), int(spec["maxReplicas"])
    scaled_to_zero = inputs.gates.scale_to_zero and (status.condition("ScaledToZero") or _NO).status == "True"
    if current == 0 and not ((minimum != 0 and scaled_to_zero) or (scaled_to_zero and _zero_capable(hpa))):
        status = status.with_condition("ScalingActive", "False", "ScalingDisabled",
                                       "scaling is disabled since the replica count of the target is zero", now)
        if not inputs.gates.scale_to_zero:
            status = status.without_condition("ScaledToZero")
        return _settle(replace(base, status=status), 0, "", (), rescale=False)
    if current > maximum and current != 0:
        return _settle(replace(base, status=status), maximum, "Current number of replicas above Spec.MaxReplicas", ())
    if current < minimum and current != 0:
        return _settle(replace(base, status=status), minimum, "Current number of replicas below Spec.MinReplicas", ())
    return _from_metrics(replace(base, status=status), inputs, state, minimum, maximum, scaled_to_zero)


def finish(decision: HpaDecision, state: HpaState, now: float,
           write_error: str | None = None) -> HpaDecision:
    """After writing (or failing to write) ``decision.desired``: the status to write and the events."""
    if not decision.rescale:
        return decision
    status, desired = decision.status, decision.desired
    if write_error is not None:
        status = status.with_condition("AbleToScale", "False", "FailedUpdateScale",
                                       f"the HPA controller was unable to update the target scale: {write_error}", now)
        event = ("Warning", "FailedRescale", f"New size: {desired}; reason: {decision.reason}; error: {write_error}")
        return replace(decision, status=replace(status, desired_replicas=decision.previous_desired),
                       events=decision.events + (event,),
                       error=f"failed to rescale {_reference(decision.hpa)}: {write_error}")
    status = status.with_condition("AbleToScale", "True", "SucceededRescale",
                                   f"the HPA controller was able to update the target scale to {desired}", now)
    minimum = int(decision.hpa["spec"]["minReplicas"])
    if not decision.gates.scale_to_zero:
        status = status.without_condition("ScaledToZero")
    elif decision.current > 0 and desired == 0 and minimum == 0 and _zero_capable(decision.hpa):
        status = status.with_condition("ScaledToZero", "True", "ScaledToZero",
                                       "the HPA controller scaled the workload to zero", now)
    else:
        status = status.with_condition("ScaledToZero", "False", "NotScaledToZero",
                                       "the HPA controller did not scale the workload to zero", now)
    state.store_scale_event(decision.hpa["spec"].get("behavior"), decision.current, desired, now)
    event = ("Normal", "SuccessfulRescale", f"New size: {desired}; reason: {decision.reason}")
    return replace(decision, status=replace(status, last_scale_time=now), events=decision.events + (event,))


@dataclass(frozen=True)
class _Absent:
    status: str = ""


_NO = _Absent()


def _zero_capable(hpa: Mapping[str, Any]) -> bool:
    return any(m.get("type") in ("Object", "External") for m in hpa["spec"].get("metrics") or [])


def _settle(decision: HpaDecision, desired: int, reason: str, statuses: tuple[dict, ...],
            rescale: bool = True, error: str | None = None) -> HpaDecision:
    current = decision.current
    rescale = rescale and desired != current
    desired = desired if rescale else current
    status = replace(decision.status, current_replicas=current, desired_replicas=desired,
                     current_metrics=tuple(statuses))
    return replace(decision, desired=desired, rescale=rescale, reason=reason, status=status, error=error)


def _reference(hpa: Mapping[str, Any]) -> str:
    ref = hpa["spec"].get("scaleTargetRef") or {}
    return f"{ref.get('kind', '')}/{hpa['metadata'].get('namespace', '')}/{ref.get('name', '')}"


# -- metrics -------------------------------------------------------------------------
def _from_metrics(decision: HpaDecision, inputs: HpaInputs, state: HpaState, minimum: int,
                  maximum: int, scaled_to_zero: bool) -> HpaDecision:
    hpa, status, now, current = decision.hpa, decision.status, inputs.now, inputs.current
    if not inputs.selector:
        status = status.with_condition("ScalingActive", "False", "InvalidSelector",
                                       "the HPA target's scale is missing a selector", now)
        return _failed(decision, status, (), "selector is required",
                       (("Warning", "SelectorRequired", "selector is required"),))
    proposals, statuses, failures = [], [], []
    for spec in hpa["spec"].get("metrics") or []:
        try:
            proposal, name, current_value = _one_metric(hpa, spec, inputs)
        except _Failed as failure:
            statuses.append({"type": ""})
            failures.append(failure)
            decision = replace(decision, events=decision.events + (("Warning", *failure.event),))
            continue
        statuses.append(metric_status(spec, current_value))
        proposals.append((proposal.replicas, name))
    replicas, metric = 0, ""
    for proposed, name in proposals:
        if replicas == 0 or proposed > replicas:
            replicas, metric = proposed, name
    error = ""
    if failures:
        error = (f"invalid metrics ({len(failures)} invalid out of {len(statuses)}), "
                 f"first error is: {failures[0].error}")
    if len(failures) >= len(statuses) or (failures and replicas < current):
        status = status.with_condition("ScalingActive", "False", *failures[0].condition, now) if failures else status
        return _failed(decision, status, tuple(statuses), error)
    status = status.with_condition("ScalingActive", "True", "ValidMetricFound",
                                   f"the HPA was able to successfully calculate a replica count from {metric}", now)
    desired = max(replicas, 0)
    reason = f"{metric} above target" if desired > current else "All metrics below target" if desired < current else ""
    desired, status = normalize(state, status, hpa["spec"].get("behavior"), current, desired,
                                minimum, maximum, now)
    if current == 0 and minimum != 0 and scaled_to_zero and desired < minimum:
        desired, reason = minimum, reason or "Current number of replicas below Spec.MinReplicas"
    return _settle(replace(decision, status=status), desired, reason, tuple(statuses), error=error or None)


def _failed(decision: HpaDecision, status: HpaStatus, statuses: tuple[dict, ...], error: str,
            events: tuple[tuple[str, str, str], ...] = ()) -> HpaDecision:
    status = replace(status, current_replicas=decision.current, current_metrics=statuses)
    events = decision.events + events + (("Warning", "FailedComputeMetricsReplicas", error),)
    return replace(decision, status=status, events=events,
                   error="failed to compute desired number of replicas based on listed metrics "
                         f"for {_reference(decision.hpa)}: {error}")


class _Failed(Exception):
    def __init__(self, error: str, reason: str, cause: str):
        super().__init__(error)
        self.error, self.event = error, (reason, cause)
        self.condition = (reason, f"the HPA was unable to compute the replica count: {cause}")


def _one_metric(hpa: Mapping[str, Any], spec: Mapping[str, Any],
                inputs: HpaInputs) -> tuple[Proposal, str, dict]:
    kind, tolerances = spec.get("type"), _tolerances(hpa, inputs.gates)
    if kind == "Resource":
        return _resource(spec["resource"], inputs, tolerances)
    if kind == "Pods":
        return _pods(spec["pods"], inputs, tolerances)
    if kind == "External":
        return _external(spec["external"], inputs, tolerances, hpa["metadata"].get("namespace", ""))
    error = f'unknown metric source type "{kind}"'
    raise _Failed(error, "InvalidMetricSourceType", error)


def _resource(source: Mapping[str, Any], inputs: HpaInputs, tolerances: Tolerances):
    name, utilization = source["name"], (source.get("target") or {}).get("averageUtilization")
    if utilization is None:
        cause = ("invalid resource metric source: neither an average utilization target "
                 "nor an average value (usage) target was set")
        raise _Failed(f"failed to get {name} resource metric value: {cause}", "FailedGetResourceMetric", cause)
    try:
        if isinstance(inputs.pod_metrics, str):
            raise MetricError(f"unable to fetch metrics from resource metrics API: {inputs.pod_metrics}")
        samples = pod_resource_samples(list(inputs.pod_metrics), name)
    except MetricError as error:
        cause = f"failed to get {name} utilization: unable to get metrics for resource {name}: {error}"
        raise _Failed(f"failed to get {name} resource metric value: {cause}", "FailedGetResourceMetric", cause) from None
    try:
        proposal = resource_utilization_replicas(inputs.current, int(utilization), name, tolerances,
                                                 list(inputs.pods), samples, inputs.now)
    except MetricError as error:
        cause = f"failed to get {name} utilization: {error}"
        raise _Failed(f"failed to get {name} resource metric value: {cause}", "FailedGetResourceMetric", cause) from None
    current = {"averageUtilization": proposal.usage, "averageValue": proposal.raw}
    return proposal, f"{name} resource utilization (percentage of request)", current


def _pods(source: Mapping[str, Any], inputs: HpaInputs, tolerances: Tolerances):
    name = source["metric"]["name"]
    try:
        target = parse((source.get("target") or {}).get("averageValue")).milli_value()
        items = inputs.custom_metrics.get(name, ())
        try:
            if isinstance(items, str):
                raise MetricError(f"unable to fetch metrics from custom metrics API: {items}")
            samples = custom_samples(list(items))
        except MetricError as error:
            raise MetricError(f"unable to get metric {name}: {error}") from None
        proposal = pods_metric_replicas(inputs.current, target, tolerances, list(inputs.pods), samples, inputs.now)
    except (MetricError, QuantityError) as error:
        raise _Failed(f"failed to get pods metric value: {error}", "FailedGetPodsMetric", str(error)) from None
    return proposal, f"pods metric {name}", {"averageValue": proposal.usage}


def _external(source: Mapping[str, Any], inputs: HpaInputs, tolerances: Tolerances, namespace: str):
    name, target = source["metric"]["name"], source.get("target") or {}
    per_pod = target.get("averageValue") is not None
    try:
        if not per_pod and target.get("value") is None:
            raise MetricError("invalid external metric source: neither a value target nor an average value "
                              "target was set")
        values = _external_values(inputs, name, namespace)
        if per_pod:
            proposal = external_average_replicas(inputs.status_replicas, parse(target["averageValue"]).milli_value(),
                                                 tolerances, values)
        else:
            proposal = external_value_replicas(inputs.current, parse(target["value"]).milli_value(), tolerances,
                                               values, list(inputs.pods))
    except (MetricError, QuantityError) as error:
        inner = f"failed to get {name} external metric: {error}" if per_pod else f"failed to get external metric {name}: {error}"
        if str(error).startswith("invalid external metric source"):
            inner = str(error)
        raise _Failed(f"failed to get {name} external metric value: {inner}", "FailedGetExternalMetric",
                      str(error)) from None
    current = {"averageValue": proposal.usage} if per_pod else {"value": proposal.usage}
    return proposal, f"external metric {name}(<nil>)", current


def _external_values(inputs: HpaInputs, name: str, namespace: str) -> list[int]:
    items = inputs.external_metrics.get(name, ())
    try:
        if isinstance(items, str):
            raise MetricError(f"unable to fetch metrics from external metrics API: {items}")
        return external_values(list(items))
    except MetricError as error:
        raise MetricError(f"unable to get external metric {namespace}/{name}/<nil>: {error}") from None


def _tolerances(hpa: Mapping[str, Any], gates: HpaGates) -> Tolerances:
    behavior, base = hpa["spec"].get("behavior") or {}, Tolerances()
    if not gates.configurable_tolerance:
        return base
    down = (behavior.get("scaleDown") or {}).get("tolerance")
    up = (behavior.get("scaleUp") or {}).get("tolerance")
    return Tolerances(base.down if down is None else float(parse(down).value),
                      base.up if up is None else float(parse(up).value))


__all__ = ["HpaDecision", "HpaGates", "HpaInputs", "HpaState", "SYNC_PERIOD", "apply_defaults", "finish",
           "reconcile"]
