"""The HPA's status (conditions, current metrics) and the API server's validation of an HPA.

Times are epoch seconds here; ``to_json`` renders them as Kubernetes does.
Conditions follow ``setConditionInList``: reason and message always updated,
``lastTransitionTime`` only when the status changes.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from .learning.timefmt import parse_rfc3339, rfc3339
from .quantity import QuantityError, from_milli, parse

MAX_STABILIZATION_WINDOW_SECONDS = 3600
MAX_PERIOD_SECONDS = 1800


@dataclass(frozen=True)
class HpaGates:
    """The feature gates that change the HPA; the defaults are Kubernetes v1.37's.

    A cluster that reports an older version (the embedded cluster says v1.31) has
    both off: ``HpaGates(scale_to_zero=False, configurable_tolerance=False)``.
    """

    scale_to_zero: bool = True              # HPAScaleToZero: beta, on since v1.37
    configurable_tolerance: bool = True     # HPAConfigurableTolerance: GA in v1.37


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str
    message: str
    last_transition: float


@dataclass(frozen=True)
class HpaStatus:
    current_replicas: int = 0
    desired_replicas: int = 0
    last_scale_time: float | None = None
    current_metrics: tuple[dict, ...] = ()
    conditions: tuple[Condition, ...] = ()

    @classmethod
    def from_json(cls, status: Mapping[str, Any] | None) -> "HpaStatus":
        status = status or {}
        return cls(int(status.get("currentReplicas") or 0), int(status.get("desiredReplicas") or 0),
                   parse_rfc3339(status.get("lastScaleTime")), tuple(status.get("currentMetrics") or ()),
                   tuple(Condition(c["type"], c["status"], c.get("reason", ""), c.get("message", ""),
                                   parse_rfc3339(c.get("lastTransitionTime")) or 0.0)
                         for c in status.get("conditions") or ()))

    def to_json(self) -> dict:
        result: dict[str, Any] = {"desiredReplicas": self.desired_replicas}
        if self.current_replicas:       # omitempty, as autoscaling/v2 serializes it
            result["currentReplicas"] = self.current_replicas
        if self.last_scale_time is not None:
            result["lastScaleTime"] = rfc3339(self.last_scale_time)
        if self.current_metrics:
            result["currentMetrics"] = list(self.current_metrics)
        if self.conditions:
            result["conditions"] = [{"type": c.type, "status": c.status, "reason": c.reason,
                                     "message": c.message, "lastTransitionTime": rfc3339(c.last_transition)}
                                    for c in self.conditions]
        return result

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)

    def with_condition(self, type_: str, status: str, reason: str, message: str, now: float) -> "HpaStatus":
        existing = self.condition(type_)
        if existing is None:
            return replace(self, conditions=self.conditions + (Condition(type_, status, reason, message, now),))
        moved = now if existing.status != status else existing.last_transition
        updated = Condition(type_, status, reason, message, moved)
        return replace(self, conditions=tuple(updated if c.type == type_ else c for c in self.conditions))

    def without_condition(self, type_: str) -> "HpaStatus":
        return replace(self, conditions=tuple(c for c in self.conditions if c.type != type_))


def metric_status(spec: Mapping[str, Any], current: Mapping[str, int]) -> dict:
    """One entry of ``status.currentMetrics`` for a metric that was computed."""
    kind = spec["type"]
    if kind == "Resource":
        name = spec["resource"]["name"]
        return {"type": "Resource", "resource": {"name": name, "current": {
            "averageUtilization": current["averageUtilization"],
            "averageValue": from_milli(current["averageValue"], "BinarySI" if name == "memory" else "DecimalSI")}}}
    key = "pods" if kind == "Pods" else "external"
    values = {k: from_milli(v) for k, v in current.items()}
    return {"type": kind, key: {"metric": dict(spec[key]["metric"]), "current": values}}


# -- validation (pkg/apis/autoscaling/validation, HPAScaleToZero on as in v1.37) -------------
def validation_errors(hpa: Mapping[str, Any], gates: HpaGates = HpaGates()) -> list[str]:
    """The field errors the API server reports for a (defaulted) HPA; [] when valid."""
    spec = hpa.get("spec") or {}
    errors: list[str] = []
    low, high = spec.get("minReplicas"), spec.get("maxReplicas") or 0
    lowest = 0 if gates.scale_to_zero else 1
    if low is not None and low < lowest:
        errors.append(f"spec.minReplicas: Invalid value: {low}: must be greater than or equal to {lowest}")
    if high == 0:
        errors.append("spec.maxReplicas: Required value: must be set and greater than 0")
    elif high < 0:
        errors.append(f"spec.maxReplicas: Invalid value: {high}: must be greater than or equal to 1")
    if low is not None and high < low:
        errors.append(f"spec.maxReplicas: Invalid value: {high}: must be greater than or equal to `minReplicas`")
    metrics = spec.get("metrics") or []
    for i, metric in enumerate(metrics):
        errors += _target_errors(metric, f"spec.metrics[{i}]")
    if gates.scale_to_zero and low == 0 and not any(m.get("type") in ("Object", "External") for m in metrics):
        errors.append("spec.metrics: Forbidden: must specify at least one Object or External metric "
                      "to support scaling to zero replicas")
    for direction in ("scaleUp", "scaleDown"):
        rules = (spec.get("behavior") or {}).get(direction)
        if rules is not None:
            errors += _rules_errors(rules, f"spec.behavior.{direction}")
    return errors


def invalid_message(name: str, errors: list[str]) -> str:
    """The API server's 422 message for an invalid HPA."""
    detail = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
    return f'HorizontalPodAutoscaler.autoscaling "{name}" is invalid: {detail}'


def _target_errors(metric: Mapping[str, Any], path: str) -> list[str]:
    kind = metric.get("type")
    key = {"Resource": "resource", "Pods": "pods", "External": "external"}.get(kind)
    if key is None or metric.get(key) is None:
        return []
    target, errors = metric[key].get("target") or {}, []
    for field_name in ("value", "averageValue"):
        text = target.get(field_name)
        if text is not None and not _positive(text):
            errors.append(f"{path}.{key}.target.{field_name}: Invalid value: \"{text}\": must be positive")
    utilization = target.get("averageUtilization")
    if utilization is not None and utilization < 1:
        errors.append(f"{path}.{key}.target.averageUtilization: Invalid value: {utilization}: must be greater than 0")
    return errors


def _positive(text: Any) -> bool:
    try:
        return parse(text).value > 0
    except QuantityError:
        return False


def _rules_errors(rules: Mapping[str, Any], path: str) -> list[str]:
    errors = []
    window = rules.get("stabilizationWindowSeconds")
    if window is not None and window < 0:
        errors.append(f"{path}.stabilizationWindowSeconds: Invalid value: {window}: must be greater than or equal to zero")
    if window is not None and window > MAX_STABILIZATION_WINDOW_SECONDS:
        errors.append(f"{path}.stabilizationWindowSeconds: Invalid value: {window}: "
                      f"must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}")
    select = rules.get("selectPolicy")
    if select is not None and select not in ("Disabled", "Max", "Min"):
        errors.append(f'{path}.selectPolicy: Unsupported value: "{select}": supported values: '
                      '"Disabled", "Max", "Min"')
    policies = rules.get("policies") or []
    if not policies:
        errors.append(f"{path}.policies: Required value: must specify at least one Policy")
    for i, policy in enumerate(policies):
        where = f"{path}.policies[{i}]"
        if policy.get("type") not in ("Percent", "Pods"):
            errors.append(f'{where}.type: Unsupported value: "{policy.get("type")}": supported values: "Percent", "Pods"')
        if policy.get("value", 0) <= 0:
            errors.append(f"{where}.value: Invalid value: {policy.get('value', 0)}: must be greater than zero")
        period = policy.get("periodSeconds", 0)
        if period <= 0:
            errors.append(f"{where}.periodSeconds: Invalid value: {period}: must be greater than zero")
        if period > MAX_PERIOD_SECONDS:
            errors.append(f"{where}.periodSeconds: Invalid value: {period}: "
                          f"must be less than or equal to {MAX_PERIOD_SECONDS}")
    return errors


__all__ = ["Condition", "HpaGates", "HpaStatus", "invalid_message", "metric_status", "validation_errors"]
