"""The scaler's status and conditions as pure rules (catalogue §1.3, §2.2, §2.6-§2.8, §7.25-§7.27).

- Conditions follow §2.8: absent -> appended; a new status -> replaced with a new
  ``lastTransitionTime``; the same status -> reason and message refreshed in the
  contract, left alone as built (quirk ``ready-reason-not-refreshed``, §7.26).
- ``Ready`` is True (``ScalerReady``) whenever the reconcile succeeds, also when no
  metric could be read; the contract then says so in ``ScalingActive``
  (False, ``FailedGetMetrics``). As built only ``Ready`` is ever written
  (quirk ``only-ready-condition``, §7.26, §1.4).
- Two scalers on one target (same kind and name in the namespace): the contract
  lets the older one (creationTimestamp, then name) keep scaling and holds the
  newer at ``ConflictDetected``; as built both block each other (quirk
  ``conflict-blocks-both``, §7.27).
- ``actualScale`` is the replicas serving: the target's pods Running and Ready, not
  being deleted (not what the target is asked for, nor pods still starting); as built
  the recommendation (quirk ``actual-scale-is-recommendation``). The HPA path reports
  the pods Running, as the HPA's currentReplicas counts them.
- ``scalingHistory`` gets an entry per change the controller made, oldest
  first, the newest 10 kept; ``lastScaleTime`` moves only then.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .learning.timefmt import parse_rfc3339, rfc3339
from .model import Model
from .pods import running_pods

HISTORY_LIMIT = 10
READY_MESSAGE = "BudAIScaler is ready and operating"
SCALABLE_KINDS = {"Deployment": "deployments", "StatefulSet": "statefulsets", "ReplicaSet": "replicasets"}


def set_condition(conditions: Sequence[Mapping[str, Any]], type_: str, status: str, reason: str,
                  message: str, now: float, model: Model) -> list[dict]:
    """The conditions after setting one (§2.8)."""
    result = [dict(c) for c in conditions]
    fresh = {"type": type_, "status": status, "reason": reason, "message": message,
             "lastTransitionTime": rfc3339(now)}
    existing = next((c for c in result if c.get("type") == type_), None)
    if existing is None:
        result.append(fresh)
    elif existing.get("status") != status:
        existing.clear()
        existing.update(fresh)
    elif not model.has("ready-reason-not-refreshed"):
        existing.update(reason=reason, message=message)
    return result


def scaling_active(errors: Mapping[str, str], read: Iterable[str], model: Model) -> tuple[str, str, str] | None:
    """(status, reason, message) of ScalingActive after a collection; None when it is not written."""
    if model.has("only-ready-condition"):
        return None
    read = list(read)
    failed = "; ".join(f"{metric}: {error}" for metric, error in errors.items())
    if not read:
        return "False", "FailedGetMetrics", f"the scaler could not read any metric: {failed}"
    message = "the scaler read " + ", ".join(read)
    return "True", "ValidMetricFound", message + (f"; could not read {failed}" if failed else "")


def conflict(scaler: Mapping[str, Any], others: Iterable[Mapping[str, Any]], model: Model) -> str | None:
    """The ConflictDetected message for ``scaler``, or None when it may scale its target."""
    ref = (scaler.get("spec") or {}).get("scaleTargetRef") or {}
    kind, name = ref.get("kind"), ref.get("name")
    me = scaler["metadata"]["name"]
    rivals = [o for o in others if o["metadata"]["name"] != me
              and ((o.get("spec") or {}).get("scaleTargetRef") or {}).get("kind") == kind
              and ((o.get("spec") or {}).get("scaleTargetRef") or {}).get("name") == name]
    if not model.has("conflict-blocks-both"):
        rivals = sorted((o for o in rivals if _age_key(o) < _age_key(scaler)), key=_age_key)
    if not rivals:
        return None
    return f"conflict: BudAIScaler {rivals[0]['metadata']['name']} is already targeting {kind}/{name}"


def _age_key(obj: Mapping[str, Any]) -> tuple[float, str]:
    created = parse_rfc3339(obj["metadata"].get("creationTimestamp")) or 0.0
    return created, obj["metadata"]["name"]


def target_problem(kind: str, name: str, found: bool) -> str | None:
    """The ReconciliationFailed message when the target cannot be scaled (§2.6), or None."""
    if kind not in SCALABLE_KINDS:
        return f"scaling failed: failed to get scale: generic scale not implemented for {kind}/{name}"
    if not found:
        return (f"scaling failed: failed to get scale: failed to get {kind.lower()}: "
                f'{SCALABLE_KINDS[kind]}.apps "{name}" not found')
    return None


def replicas_running(pods: Iterable[Mapping[str, Any]]) -> int:
    """Pods of the target in phase Running and not being deleted."""
    return len(running_pods(pods))


@dataclass(frozen=True)
class TargetReplicas:
    """The target's replicas three ways: asked for (spec), pods made (its /scale status), pods ready."""

    asked: int
    made: int
    ready: int


def actual_scale(target: TargetReplicas, recommendation: int, model: Model) -> int:
    """status.actualScale: the pods ready to serve (contract), the recommendation (as built)."""
    return recommendation if model.has("actual-scale-is-recommendation") else target.ready


def history_entry(now: float, previous: int, new: int, reason: str, algorithm: str) -> dict:
    return {"timestamp": rfc3339(now), "previousScale": previous, "newScale": new, "reason": reason,
            "algorithm": algorithm, "success": True}


def with_history(history: Sequence[Mapping[str, Any]] | None, entry: Mapping[str, Any],
                 limit: int = HISTORY_LIMIT) -> list[dict]:
    """Oldest first, the newest ``limit`` entries kept."""
    return ([dict(h) for h in history or ()] + [dict(entry)])[-limit:]


def scale_status(status: Mapping[str, Any], *, now: float, current: int, recommendation: int,
                 reason: str, algorithm: str, target: TargetReplicas, model: Model) -> dict:
    """The KPA/BudScaler path's status fields after a tick (§2.4 step 14, §2.7)."""
    result = dict(status)
    result["desiredScale"] = recommendation
    result["actualScale"] = actual_scale(target, recommendation, model)
    if recommendation != current:
        result["lastScaleTime"] = rfc3339(now)
        result["scalingHistory"] = with_history(
            status.get("scalingHistory"), history_entry(now, current, recommendation, reason, algorithm))
    return result
