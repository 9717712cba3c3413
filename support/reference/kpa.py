"""The KPA strategy (catalogue §4.4): per-metric ``ceil(R x ratio)`` with a panic mode.

No time windows are used: each tick reads the current snapshot averages.
GPU, cost, prediction and schedule hints are ignored. The panic threshold
is divided by 100 at use in both models (§7.5 has no quirk name).
"""
from __future__ import annotations

from dataclasses import dataclass

from .budscaler import (Recommendation, ScaleRequest, apply_policies, baseline, clamp, gate,
                        stabilize, check_request, within_bounds)
from .gomath import go_ceil, go_floor
from .model import Model
from .scaling_context import DEFAULT_DOWN_RATE, DEFAULT_UP_RATE, ScalingContext
from .stabilization import RecommendationWindow


@dataclass(frozen=True)
class _Best:
    replicas: int = 0
    metric: str = ""
    value: float = 0.0
    target: float = 0.0


def recommend(request: ScaleRequest, model: Model,
              window: RecommendationWindow) -> Recommendation:
    """KPA's recommendation for one tick."""
    check_request(request)
    ctx, current = request.context, request.current
    best, panic = _metric_recommendation(request, model)
    rec = clamp(ctx, best.replicas if best.replicas != 0 else current)
    if rec > current and not panic:
        rec = apply_policies(ctx, current, rec)
    elif rec < current:
        rec = apply_policies(ctx, current, rec)
    if not (ctx.bypass_gate_on_panic and panic):
        rec = gate(request, rec)
    final = within_bounds(ctx, model, stabilize(request, model, window, rec))
    return _result(request, best, final, rec, panic)


def _metric_recommendation(request: ScaleRequest, model: Model) -> tuple[_Best, bool]:
    ctx = request.context
    base = baseline(request.ready, request.starting, ctx.starting_pod_weight)
    best, any_panic = _Best(), False
    for source in request.spec.metrics_sources:
        snap = request.snapshots.get(source.target_metric)
        target = source.target()
        if snap is None or target is None:
            continue
        d, panic = desired_for_metric(snap.average, target, request.current, base, ctx, model)
        any_panic = any_panic or panic
        if d > best.replicas:
            best = _Best(d, source.target_metric, snap.average, target)
    return best, any_panic


def desired_for_metric(value: float, target: float, current: int, base: int,
                       ctx: ScalingContext, model: Model) -> tuple[int, bool]:
    """One metric's desired count and whether it is in panic."""
    if target <= 0:
        return current, False
    ratio = value / target
    panic = ratio >= ctx.effective_panic_threshold()
    if abs(ratio - 1) < ctx.effective_tolerance(model):
        return current, False
    r = base if ratio > 1 and base > current else current
    d = go_ceil(r * ratio)
    if d > current and not panic:
        up = ctx.max_scale_up_rate if ctx.max_scale_up_rate > 0 else DEFAULT_UP_RATE
        d = min(d, go_ceil(current * up))
    elif d < current:
        down = ctx.max_scale_down_rate if ctx.max_scale_down_rate > 0 else DEFAULT_DOWN_RATE
        d = max(d, go_floor(current * down))
    return max(d, 1), panic


def _result(request: ScaleRequest, best: _Best, final: int, unstabilized: int,
            panic: bool) -> Recommendation:
    current = request.current
    detail = (f"{best.metric} metric (current: {best.value:.2f}, target: {best.target:.2f})")
    if final > current:
        direction, reason = "up", f"Scaling up from {current} to {final} replicas based on {detail}"
    elif final < current:
        direction, reason = "down", f"Scaling down from {current} to {final} replicas based on {detail}"
    else:
        direction = "none"
        reason = f"No scaling needed. Current replicas {current} is optimal for {detail}"
    if panic:
        reason += " [PANIC MODE]"
    return Recommendation(final, reason, direction, best.metric, best.value, best.target,
                          unstabilized, in_panic_mode=panic)
