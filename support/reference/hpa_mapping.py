"""The HPA strategy's mapping: a BudAIScaler -> its ``<scaler>-hpa`` (catalogue §2.3, §2.9, §2.10, §4.5).

Per metric source: ``resource`` -> a Resource metric with an Utilization target
(``targetValue`` must be a base-10 int32, "80.5" or "80%" is skipped);
``custom`` -> a Pods metric with an AverageValue target; ``external`` -> an
External metric (no selector) with a Value target; ``pod``, ``prometheus`` and
``inferenceEngine`` are dropped (the native HPA cannot read them). No metric
left is the build error. Behaviour rules are copied (stabilization window,
selectPolicy, policies); maxScaleRate, tolerance and startingPods are dropped.
The promise is silent about all of this, so the code's mapping is the contract.

Status (§2.3 step 3): desiredScale and lastScaleTime come from the HPA's
status; actualScale is the replicas running (contract) or the HPA's
``currentReplicas`` (quirk ``actual-scale-is-recommendation``, §7.25).
"""
from __future__ import annotations

from typing import Any, Mapping

from .gomath import parse_go_int
from .model import Model
from .quantity import QuantityError, canonical

HPA_SUFFIX = "-hpa"
MANAGED_BY = {"app.kubernetes.io/managed-by": "budaiscaler"}
SCALER_LABEL = "scaler.bud.studio/scaler"
BUILD_ERROR = "failed to build metrics: no valid metrics could be converted to HPA format"
_INT32 = (-(2**31), 2**31 - 1)


class HpaBuildError(ValueError):
    """No metric source converts; the controller reports ``failed to build HPA: <this>``."""


def hpa_name(scaler_name: str) -> str:
    return scaler_name + HPA_SUFFIX


def build_hpa(scaler: Mapping[str, Any]) -> dict:
    """The ``autoscaling/v2`` HorizontalPodAutoscaler the scaler wants (a dict, no status)."""
    meta, spec = scaler.get("metadata") or {}, scaler.get("spec") or {}
    name = meta.get("name", "")
    hpa_spec: dict[str, Any] = {"scaleTargetRef": _target(spec.get("scaleTargetRef") or {})}
    if spec.get("minReplicas") is not None:
        hpa_spec["minReplicas"] = int(spec["minReplicas"])
    hpa_spec["maxReplicas"] = int(spec.get("maxReplicas") or 0)
    hpa_spec["metrics"] = build_metrics(spec.get("metricsSources") or [])
    behavior = build_behavior(spec.get("behavior"))
    if behavior is not None:
        hpa_spec["behavior"] = behavior
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": hpa_name(name),
            "namespace": meta.get("namespace", ""),
            "labels": {**MANAGED_BY, SCALER_LABEL: name},
            "ownerReferences": [{
                "apiVersion": scaler.get("apiVersion", "scaler.bud.studio/v1alpha1"),
                "kind": scaler.get("kind", "BudAIScaler"),
                "name": name, "uid": meta.get("uid", ""), "controller": True,
            }],
        },
        "spec": hpa_spec,
    }


def updated_hpa(existing: Mapping[str, Any], desired: Mapping[str, Any]) -> dict:
    """What the controller writes over an existing HPA: target, bounds, metrics, behaviour (§2.3)."""
    result = {**existing, "spec": dict(existing.get("spec") or {})}
    spec, wanted = result["spec"], desired["spec"]
    for key in ("scaleTargetRef", "minReplicas", "maxReplicas", "metrics"):
        if key in wanted:
            spec[key] = wanted[key]
        else:
            spec.pop(key, None)
    if "behavior" in wanted:
        spec["behavior"] = wanted["behavior"]
    else:
        spec.pop("behavior", None)
    return result


def build_metrics(sources: list[Mapping[str, Any]]) -> list[dict]:
    metrics = [m for m in (_metric(s) for s in sources) if m is not None]
    if not metrics:
        raise HpaBuildError(BUILD_ERROR)
    return metrics


def build_behavior(behavior: Mapping[str, Any] | None) -> dict | None:
    if behavior is None:
        return None
    result = {}
    for direction in ("scaleUp", "scaleDown"):
        rules = behavior.get(direction)
        if rules is not None:
            result[direction] = _rules(rules)
    return result


def scaler_status_from_hpa(hpa_status: Mapping[str, Any] | None, replicas_running: int,
                           model: Model) -> dict:
    """The fields of the scaler's status the HPA path writes; absent keys stay as they were."""
    status = hpa_status or {}
    current = int(status.get("currentReplicas") or 0)
    actual = current if model.has("actual-scale-is-recommendation") else replicas_running
    result = {"actualScale": actual, "desiredScale": int(status.get("desiredReplicas") or 0)}
    if status.get("lastScaleTime"):
        result["lastScaleTime"] = status["lastScaleTime"]
    return result


def _target(ref: Mapping[str, Any]) -> dict:
    return {"apiVersion": ref.get("apiVersion", ""), "kind": ref.get("kind", ""),
            "name": ref.get("name", "")}


def _metric(source: Mapping[str, Any]) -> dict | None:
    kind, name = source.get("metricSourceType"), source.get("targetMetric", "")
    value = str(source.get("targetValue", ""))
    if kind == "resource":
        utilization = parse_go_int(value)
        if utilization is None or not _INT32[0] <= utilization <= _INT32[1]:
            return None
        return {"type": "Resource", "resource": {
            "name": name, "target": {"type": "Utilization", "averageUtilization": utilization}}}
    quantity = _quantity(value)
    if quantity is None:
        return None
    if kind == "custom":
        return {"type": "Pods", "pods": {
            "metric": {"name": name}, "target": {"type": "AverageValue", "averageValue": quantity}}}
    if kind == "external":
        return {"type": "External", "external": {
            "metric": {"name": name}, "target": {"type": "Value", "value": quantity}}}
    return None


def _quantity(text: str) -> str | None:
    try:
        return canonical(text)
    except QuantityError:
        return None


def _rules(rules: Mapping[str, Any]) -> dict:
    result: dict[str, Any] = {}
    if rules.get("stabilizationWindowSeconds") is not None:
        result["stabilizationWindowSeconds"] = int(rules["stabilizationWindowSeconds"])
    if rules.get("selectPolicy") is not None:
        result["selectPolicy"] = rules["selectPolicy"]
    if rules.get("policies"):
        result["policies"] = [{"type": p.get("type"), "value": int(p.get("value", 0)),
                               "periodSeconds": int(p.get("periodSeconds", 0))}
                              for p in rules["policies"]]
    return result
