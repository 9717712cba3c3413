"""Scaling controls BudScaler and KPA share: policies, selectPolicy, maxScaleRate (catalogue §4.2, §5.6, §7.6, §7.7).

Contract (Kubernetes HPA semantics, which the CRD copies):
- A policy limits the change over its ``periodSeconds``, counted over the scale
  events the controller made in that period: the period started at
  ``start = current - added + removed`` replicas, a scale-up may reach
  ``start + limit(start)`` and a scale-down ``start - limit(start)``, where
  ``limit`` is the code's per-policy rounding (Pods: value; Percent:
  ``trunc(start x value / 100)``, at least 1 when value > 0).
- ``selectPolicy`` Max takes the policy that allows the largest change, Min the
  smallest; Disabled freezes that direction, with or without policies.
- Policies never force a change against the recommendation and never push
  below zero; ``minReplicas`` is the clamp's business, so a scaler with
  ``minReplicas: 0`` can reach 0.
- ``maxScaleRate`` is a factor per tick that never turns the direction round:
  a scale-down rate above 1 divides (2.0 = may halve, as the annotation doc
  says), at or below 1 it multiplies (0.5 = may halve); a scale-up rate below
  1 divides (0.5 = may double), at or above 1 it multiplies (2.0 = may double).

As built (quirks): ``policy-period-ignored`` (each 10 s tick is a new period),
``select-disabled-needs-policies``, ``never-scales-to-zero`` (the scale-down
floor is 1), ``rate-reverses-direction`` (rates multiply as written: a
scale-down rate of 2.0 doubles the "floor", turning a scale-down into a
scale-up; a scale-up rate of 0.5 halves the "cap", turning a scale-up into a
scale-down).

``ScaleEvents`` is what the controller remembers between ticks: it must call
``record(now, previous, new)`` after each successful write of the target.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .gomath import go_ceil, go_floor, go_int
from .model import Model
from .scaling_context import DEFAULT_DOWN_RATE, DEFAULT_UP_RATE, ScalingContext
from .spec import ScalingPolicy

MAX_PERIOD_SECONDS = 1800   # the CRD's bound on periodSeconds: older events never matter


@dataclass
class ScaleEvents:
    """The scale events of one scaler, as (time, signed replica change)."""

    events: list[tuple[float, int]] = field(default_factory=list)

    def record(self, now: float, previous: int, new: int) -> None:
        """Remember a successful change of the target from ``previous`` to ``new`` replicas."""
        if new != previous:
            self.events.append((now, new - previous))
        self.events = [(t, c) for t, c in self.events if t > now - MAX_PERIOD_SECONDS]

    def replicas_at_period_start(self, now: float, period_seconds: float, current: int) -> int:
        """``current`` minus the changes made strictly after ``now - period_seconds`` (HPA's cutoff)."""
        cutoff = now - period_seconds
        return current - sum(change for t, change in self.events if t > cutoff)


def policy_limit(policy: ScalingPolicy, replicas: int) -> int:
    """How many replicas one policy lets the count change by from ``replicas``."""
    if policy.type == "Percent":
        limit = go_int(float(replicas) * float(policy.value) / 100)
        return 1 if limit < 1 and policy.value > 0 else limit
    return policy.value


def apply_policies(ctx: ScalingContext, current: int, desired: int, model: Model,
                   events: ScaleEvents | None = None, now: float = 0.0) -> int:
    """Bound ``desired`` by the policies of its direction.

    Without ``events`` (or under ``policy-period-ignored``) every period starts
    at ``current``, which is the code's per-tick limit.
    """
    if desired > current:
        return _up(ctx, current, desired, model, events, now)
    if desired < current:
        return _down(ctx, current, desired, model, events, now)
    return desired


def _disabled(select: str, policies: tuple[ScalingPolicy, ...], model: Model) -> bool:
    if select != "Disabled":
        return False
    return bool(policies) or not model.has("select-disabled-needs-policies")


def _start(policy: ScalingPolicy, current: int, model: Model, events: ScaleEvents | None,
           now: float) -> int:
    if events is None or model.has("policy-period-ignored"):
        return current
    return events.replicas_at_period_start(now, policy.period_seconds, current)


def _up(ctx: ScalingContext, current: int, desired: int, model: Model,
        events: ScaleEvents | None, now: float) -> int:
    if _disabled(ctx.up_select_policy, ctx.up_policies, model):
        return current
    if not ctx.up_policies:
        return desired
    reachable = []
    for policy in ctx.up_policies:
        start = _start(policy, current, model, events, now)
        reachable.append(start + policy_limit(policy, start))
    ceiling = min(reachable) if ctx.up_select_policy == "Min" else max(reachable)
    return min(desired, max(ceiling, current))


def _down(ctx: ScalingContext, current: int, desired: int, model: Model,
          events: ScaleEvents | None, now: float) -> int:
    if _disabled(ctx.down_select_policy, ctx.down_policies, model):
        return current
    if not ctx.down_policies:
        return desired
    reachable = []
    for policy in ctx.down_policies:
        start = _start(policy, current, model, events, now)
        reachable.append(start - policy_limit(policy, start))
    floor = min(reachable) if ctx.down_select_policy == "Max" else max(reachable)
    lowest = 1 if model.has("never-scales-to-zero") else 0
    return max(desired, max(lowest, min(floor, current)))


def down_rate_floor(replicas: int, rate: float, model: Model) -> int:
    """The fewest replicas a scale-down from ``replicas`` may reach in one tick under ``maxScaleRate``."""
    rate = rate if rate > 0 else DEFAULT_DOWN_RATE
    if rate > 1 and not model.has("rate-reverses-direction"):
        return go_floor(replicas / rate)
    return go_floor(replicas * rate)


def up_rate_ceiling(replicas: int, rate: float, model: Model) -> int:
    """The most replicas a scale-up from ``replicas`` may reach in one tick under ``maxScaleRate``."""
    rate = rate if rate > 0 else DEFAULT_UP_RATE
    if rate < 1 and not model.has("rate-reverses-direction"):
        return go_ceil(replicas / rate)
    return go_ceil(replicas * rate)


__all__ = ["ScaleEvents", "apply_policies", "down_rate_floor", "policy_limit", "up_rate_ceiling",
           "MAX_PERIOD_SECONDS"]
