"""The BudScaler strategy (catalogue §4.3): metric recommendation, GPU step,
prediction blend, schedule-hint floor, cost ceiling, clamp, policies,
starting-pods gate and stabilization, in that order; the contract then
applies the replica bounds once more, so they hold on every tick.

``recommend`` is pure apart from recording this tick's pre-stabilization
recommendation in the caller's ``RecommendationWindow``.

Policies, selectPolicy and the scale-down rate live in ``policies``; they
honour ``periodSeconds`` over ``ScaleRequest.scale_events`` (the controller's
record of its own scale events; without it every tick is a new period).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .gomath import go_ceil, go_int, go_round
from .metrics import Snapshot
from .model import Model
from .scaling_context import ScalingContext
from .spec import ScalerSpec
from .pods import should_gate
from .policies import ScaleEvents, apply_policies, down_rate_floor, up_rate_ceiling
from .stabilization import RecommendationWindow, cooldown

ALPHA_UP = 0.8
ALPHA_DOWN = 0.5
PREDICTION_MIN_CONFIDENCE = 0.7
PREDICTION_WEIGHT = 0.3


class RecommendationError(ValueError):
    """The algorithm's own argument errors (§4.3)."""


@dataclass(frozen=True)
class GPUMetrics:
    memory_utilization: float
    compute_utilization: float
    gpu_count: int


@dataclass(frozen=True)
class CostMetrics:
    current_cost_per_hour: float
    budget_per_hour: float
    per_replica_cost_per_hour: float


@dataclass(frozen=True)
class PredictionData:
    predicted_replicas: int
    confidence: float
    reason: str
    source: str
    is_schedule_hint: bool = False
    hint_name: str = ""
    hint_target: int = 0


@dataclass(frozen=True)
class ScaleRequest:
    spec: ScalerSpec
    context: ScalingContext
    current: int
    ready: int
    starting: int
    snapshots: Mapping[str, Snapshot]
    now: float
    last_scale_time: float | None
    gpu: GPUMetrics | None = None
    cost: CostMetrics | None = None
    prediction: PredictionData | None = None
    scale_events: ScaleEvents | None = None   # read only; the controller records after a write


@dataclass(frozen=True)
class Recommendation:
    replicas: int
    reason: str
    direction: str          # "up" | "down" | "none"
    metric_used: str
    current_value: float
    target_value: float
    unstabilized: int       # the recommendation before stabilization
    in_panic_mode: bool = False   # KPA only; BudScaler never panics


def recommend(request: ScaleRequest, model: Model,
              window: RecommendationWindow) -> Recommendation:
    """BudScaler's recommendation for one tick."""
    check_request(request)
    rec = metric_recommendation(request, model)
    rec = _gpu_step(request, rec)
    rec = _prediction_step(request, model, rec)
    rec = _hint_floor(request, rec)
    if model.has("cost-before-clamp"):
        rec = clamp(request.context, _cost_ceiling(request, rec))
    else:
        rec = _cost_ceiling(request, clamp(request.context, rec))
    floor = min(request.context.min_replicas, rec)  # the contract lets the budget go below the minimum
    rec = apply_policies(request.context, request.current, rec, model,
                         request.scale_events, request.now)
    rec = gate(request, rec)
    final = within_bounds(request.context, model, stabilize(request, model, window, rec), floor)
    return _result(request, final, rec)


def check_request(request: ScaleRequest) -> None:
    """Raise RecommendationError for the algorithm's argument errors."""
    if request.spec is None:
        raise RecommendationError("scaler is required")
    if not request.spec.metrics_sources:
        raise RecommendationError("at least one metric source is required")
    if request.context is None:
        raise RecommendationError("scaling context is required")


def baseline(ready: int, starting: int, weight: float) -> int:
    """Capacity counting starting pods at ``weight``: max(1, ceil(ready + weight x starting))."""
    return max(1, go_ceil(ready + weight * starting))


def metric_recommendation(request: ScaleRequest, model: Model) -> int:
    """Step 1: the largest per-metric desired count, or current if no metric is usable.

    With ``minReplicas: 0`` and every metric at zero the contract recommends 0;
    as built a zero reading counts as no metric (quirk ``never-scales-to-zero``).
    """
    ctx = request.context
    base = baseline(request.ready, request.starting, ctx.starting_pod_weight)
    max_desired, usable = 0, False
    for source in request.spec.metrics_sources:
        snap = request.snapshots.get(source.target_metric)
        target = source.target()
        if snap is None or target is None or target <= 0:
            continue
        usable = True
        value = snap.average
        if value <= 0:
            max_desired = max(max_desired, ctx.min_replicas)
            continue
        ratio = value / target
        r = base if ratio > 1 and base > request.current else request.current
        max_desired = max(max_desired, desired_for_metric(ratio, r, request.current, ctx, model))
    if max_desired == 0 and (not usable or model.has("never-scales-to-zero")):
        return request.current
    return max_desired


def desired_for_metric(ratio: float, r: int, current: int, ctx: ScalingContext,
                       model: Model) -> int:
    """One metric's damped, rate-capped desired count from ``r`` replicas."""
    if ctx.within_tolerance(ratio, model):
        return r if model.has("baseline-inside-tolerance") else current
    if ratio > 1:
        d = go_ceil(float(r) * (1.0 + ALPHA_UP * (ratio - 1.0)))
    else:
        d = go_int(go_round(float(r) * (1.0 + ALPHA_DOWN * (ratio - 1.0))))
    if d > r:
        d = min(d, up_rate_ceiling(r, ctx.max_scale_up_rate, model))
    elif d < r:
        d = max(d, max(1, down_rate_floor(r, ctx.max_scale_down_rate, model)))
    return max(d, 1)


def _gpu_step(request: ScaleRequest, rec: int) -> int:
    config, gpu = request.spec.gpu_config, request.gpu
    if config is None or not config.enabled or gpu is None:
        return rec
    mem = _gpu_ratio(gpu.memory_utilization, config.gpu_memory_threshold)
    comp = _gpu_ratio(gpu.compute_utilization, config.gpu_compute_threshold)
    gpu_calc = max(1, go_ceil(request.current * max(mem, comp)))
    return gpu_calc if gpu_calc > rec else rec


def _gpu_ratio(utilization: float, threshold: int | None) -> float:
    return utilization / threshold if threshold is not None and threshold > 0 else 1.0


def _prediction_step(request: ScaleRequest, model: Model, rec: int) -> int:
    config, data = request.spec.prediction_config, request.prediction
    if config is None or not config.enabled or data is None or data.is_schedule_hint:
        return rec
    confidence = data.confidence
    if model.has("nan-confidence"):
        rejected = confidence < PREDICTION_MIN_CONFIDENCE   # NaN passes, as in Go
    else:
        rejected = not confidence >= PREDICTION_MIN_CONFIDENCE
    if rejected or data.predicted_replicas <= 0:
        return rec
    w = PREDICTION_WEIGHT * confidence
    return max(1, go_int(go_round(rec * (1 - w) + data.predicted_replicas * w)))


def _hint_floor(request: ScaleRequest, rec: int) -> int:
    data = request.prediction
    if data is None or not data.is_schedule_hint:
        return rec
    return max(rec, data.hint_target)


def _cost_ceiling(request: ScaleRequest, d: int) -> int:
    cost = request.cost
    if request.spec.cost_config is None or cost is None:
        return d
    c, b, p = cost.current_cost_per_hour, cost.budget_per_hour, cost.per_replica_cost_per_hour
    current = request.current
    if c > b and p > 0:
        cap = max(1, go_int(b / p))
        return cap if cap < d else d
    if d > current and c + (d - current) * p > b:
        if b - c > 0 and p > 0:
            cap = current + go_int((b - c) / p)
            return cap if cap < d else d
        return current
    return d


def clamp(ctx: ScalingContext, d: int) -> int:
    """Bound ``d`` to [minReplicas, maxReplicas]."""
    if d < ctx.min_replicas:
        return ctx.min_replicas
    if d > ctx.max_replicas:
        return ctx.max_replicas
    return d


def within_bounds(ctx: ScalingContext, model: Model, d: int, floor: int | None = None) -> int:
    """The contract's last word: the replica bounds apply on every tick, whatever the windows,
    policies or gate held back (a lowered maximum or a raised minimum applies at once).

    ``floor`` is the minimum this tick (the minReplicas, or less where the cost ceiling took the
    recommendation below it). As built the clamp comes before the windows (quirk
    ``bounds-before-stabilization``)."""
    if model.has("bounds-before-stabilization"):
        return d
    low = ctx.min_replicas if floor is None else floor
    return min(max(d, low), ctx.max_replicas)


def gate(request: ScaleRequest, d: int) -> int:
    """Hold a scale-up at current while too many pods are starting."""
    ctx = request.context
    if d > request.current and should_gate(request.ready, request.starting,
                                           ctx.max_starting_pods, ctx.max_starting_pod_percent):
        return request.current
    return d


def stabilize(request: ScaleRequest, model: Model, window: RecommendationWindow,
              d: int) -> int:
    """Record ``d`` and apply the cooldown (as built) or the recommendation window."""
    ctx = request.context
    window.record(request.now, d)
    if model.has("stabilization-as-cooldown"):
        return cooldown(request.now, request.last_scale_time, request.current, d,
                        ctx.up_stabilization_seconds, ctx.down_stabilization_seconds)
    return window.stabilize(request.now, request.current, d,
                            ctx.up_stabilization_seconds, ctx.down_stabilization_seconds)


def _result(request: ScaleRequest, final: int, unstabilized: int) -> Recommendation:
    current = request.current
    if final > current:
        direction, reason = "up", f"BudScaler: Scaling up from {current} to {final} replicas"
    elif final < current:
        direction, reason = "down", f"BudScaler: Scaling down from {current} to {final} replicas"
    else:
        direction, reason = "none", f"BudScaler: No scaling needed at {current} replicas"
    metric, value, target = _first_observed(request)
    return Recommendation(final, reason + _reason_suffix(request), direction,
                          metric, value, target, unstabilized)


def _reason_suffix(request: ScaleRequest) -> str:
    suffix = ""
    data = request.prediction
    if data is not None and data.is_schedule_hint:
        suffix += f" [schedule hint '{data.hint_name}' floor: {data.hint_target}]"
    if request.gpu is not None:
        suffix += (f" (GPU mem: {request.gpu.memory_utilization:.1f}%, "
                   f"compute: {request.gpu.compute_utilization:.1f}%)")
    cost = request.cost
    if cost is not None and cost.budget_per_hour > 0:
        usage = cost.current_cost_per_hour / cost.budget_per_hour * 100
        suffix += f" (budget usage: {usage:.1f}%)"
    return suffix


def _first_observed(request: ScaleRequest) -> tuple[str, float, float]:
    for source in request.spec.metrics_sources:
        snap = request.snapshots.get(source.target_metric)
        if snap is not None:
            target = source.target()
            return source.target_metric, snap.average, 0.0 if target is None else target
    return "", 0.0, 0.0
