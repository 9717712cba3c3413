"""How the HPA turns the metrics' proposal into replicas: stabilization, policies, bounds.

``normalizeDesiredReplicas`` / ``normalizeDesiredReplicasWithBehaviors`` and
the scale-event bookkeeping of ``pkg/controller/podautoscaler/horizontal.go``
(Kubernetes v1.37). Recommendations count when strictly newer than a window's
cutoff (``After``) in the behaviour path and when not older (``!Before``) in
the default path, exactly as Kubernetes compares them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from .hpa_status import HpaStatus

DOWNSCALE_STABILIZATION = 300.0
SCALE_UP_LIMIT_FACTOR, SCALE_UP_LIMIT_MINIMUM = 2.0, 4.0
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
UP_STABILIZED = ("ScaleUpStabilized", "recent recommendations were lower than current one, "
                 "applying the lowest recent recommendation")
DOWN_STABILIZED = ("ScaleDownStabilized", "recent recommendations were higher than current one, "
                   "applying the highest recent recommendation")
READY = ("ReadyForNewScale", "recommended size matches current size")
SCALE_UP_LIMIT = ("ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
SCALE_DOWN_LIMIT = ("ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
TOO_MANY = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
TOO_FEW = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
IN_RANGE = ("DesiredWithinRange", "the desired count is within the acceptable range")


@dataclass
class HpaState:
    """The HPA controller's memory of one HPA: recommendations and its own scale events."""

    recommendations: list[tuple[float, int]] = field(default_factory=list)
    up_events: list[tuple[float, int]] = field(default_factory=list)
    down_events: list[tuple[float, int]] = field(default_factory=list)

    def store_scale_event(self, behavior: Mapping[str, Any] | None, previous: int, new: int,
                          now: float) -> None:
        """``storeScaleEvent``: only kept when the HPA has a behaviour."""
        if behavior is None or new == previous:
            return
        up = new > previous
        rules = behavior["scaleUp" if up else "scaleDown"]
        longest = max([p["periodSeconds"] for p in rules.get("policies") or []] + [0])
        events = self.up_events if up else self.down_events
        events[:] = [(t, c) for t, c in events if t >= now - longest]
        events.append((now, abs(new - previous)))


def normalize(state: HpaState, status: HpaStatus, behavior: Mapping[str, Any] | None, current: int,
              desired: int, minimum: int, maximum: int, now: float) -> tuple[int, HpaStatus]:
    """The replicas to set for a metrics proposal ``desired``, and the conditions that explain it."""
    if behavior is None:
        stabilized = _stabilize_default(state, desired, now)
        status = status.with_condition("AbleToScale", "True",
                                       *(DOWN_STABILIZED if stabilized != desired else READY), now)
        result, why = _bounds(current, stabilized, minimum, maximum)
    else:
        stabilized = _stabilize_with_behavior(state, behavior, current, desired, now)
        stabilized_why = UP_STABILIZED if desired >= current else DOWN_STABILIZED
        status = status.with_condition("AbleToScale", "True",
                                       *(stabilized_why if stabilized != desired else READY), now)
        result, why = _rate(state, behavior, current, stabilized, minimum, maximum, now)
    limited = "False" if result == stabilized else "True"
    return result, status.with_condition("ScalingLimited", limited, *why, now)


def _stabilize_default(state: HpaState, desired: int, now: float) -> int:
    cutoff = now - DOWNSCALE_STABILIZATION
    highest = max([r for t, r in state.recommendations if t >= cutoff] + [desired])
    _remember(state, lambda t: t < cutoff, now, desired)
    return highest


def _stabilize_with_behavior(state: HpaState, behavior: Mapping[str, Any], current: int,
                             desired: int, now: float) -> int:
    down_window = behavior["scaleDown"].get("stabilizationWindowSeconds")
    down_window = DOWNSCALE_STABILIZATION if down_window is None else down_window
    up_cut = now - behavior["scaleUp"].get("stabilizationWindowSeconds", 0)
    down_cut = now - down_window
    up = min([r for t, r in state.recommendations if t > up_cut] + [desired])
    down = max([r for t, r in state.recommendations if t > down_cut] + [desired])
    _remember(state, lambda t: t < up_cut and t < down_cut, now, desired)
    return min(max(current, up), down)


def _remember(state: HpaState, old, now: float, desired: int) -> None:
    """Replace the last outdated recommendation (Kubernetes reuses one slot), else append."""
    stale = [i for i, (t, _) in enumerate(state.recommendations) if old(t)]
    if stale:
        state.recommendations[stale[-1]] = (now, desired)
    else:
        state.recommendations.append((now, desired))


def _bounds(current: int, desired: int, minimum: int, maximum: int) -> tuple[int, tuple[str, str]]:
    """``convertDesiredReplicasWithRules``: min, max, and at most max(2 x current, 4)."""
    limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
    ceiling, why = (limit, SCALE_UP_LIMIT) if maximum > limit else (maximum, TOO_MANY)
    if desired < minimum:
        return minimum, TOO_FEW
    if desired > ceiling:
        return ceiling, why
    return desired, IN_RANGE


def _rate(state: HpaState, behavior: Mapping[str, Any], current: int, desired: int, minimum: int,
          maximum: int, now: float) -> tuple[int, tuple[str, str]]:
    """``convertDesiredReplicasWithBehaviorRate``."""
    if desired > current:
        limit = max(_up_limit(state, behavior["scaleUp"], current, now), current)
        ceiling, why = (limit, SCALE_UP_LIMIT) if maximum > limit else (maximum, TOO_MANY)
        if desired > ceiling:
            return ceiling, why
    elif desired < current:
        limit = min(_down_limit(state, behavior["scaleDown"], current, now), current)
        floor, why = (limit, SCALE_DOWN_LIMIT) if minimum < limit else (minimum, TOO_FEW)
        if desired < floor:
            return floor, why
    return desired, IN_RANGE


def _period_start(state: HpaState, period: int, current: int, now: float) -> int:
    cutoff = now - period
    added = sum(c for t, c in state.up_events if t > cutoff)
    removed = sum(c for t, c in state.down_events if t > cutoff)
    return current - added + removed


def _up_limit(state: HpaState, rules: Mapping[str, Any], current: int, now: float) -> int:
    select = rules.get("selectPolicy")
    if select == "Disabled":
        return current
    pick, result = (min, INT32_MAX) if select == "Min" else (max, INT32_MIN)
    for policy in rules.get("policies") or []:
        start = _period_start(state, policy["periodSeconds"], current, now)
        if policy["type"] == "Pods":
            proposed = start + policy["value"]
        else:   # rounded up, or a small percentage would never add a pod
            proposed = math.ceil(start * (1 + policy["value"] / 100))
        result = pick(result, proposed)
    return result


def _down_limit(state: HpaState, rules: Mapping[str, Any], current: int, now: float) -> int:
    select = rules.get("selectPolicy")
    if select == "Disabled":
        return current
    pick, result = (max, INT32_MIN) if select == "Min" else (min, INT32_MAX)
    for policy in rules.get("policies") or []:
        start = _period_start(state, policy["periodSeconds"], current, now)
        if policy["type"] == "Pods":
            proposed = start - policy["value"]
        else:
            proposed = int(start * (1 - policy["value"] / 100))
        result = pick(result, proposed)
    return result
