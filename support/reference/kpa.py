"""The KPA strategy: Knative-style stable and panic windows (README; catalogue §4.4, §7.5, §7.14).

Contract. Each tick every metric with a snapshot becomes a *load in pods*,
``R x value / target`` (R = current replicas, or the starting-pods baseline on
a scale-up, as the code multiplies; at 0 replicas one pod's worth). KPA keeps
those loads for the stable window (180 s, annotation ``stable-window``) and the
panic window (60 s, ``panic-window``):

- stable desired = ceil(mean load over the stable window), or current inside
  the tolerance band; panic desired = ceil(mean load over the panic window);
- KPA enters panic when the panic window's mean load (in pods, before rounding
  up, as Knative compares it) reaches ``panicThreshold x current`` (threshold
  2.0 = twice, at least one pod), stays in panic until no metric
  has crossed it for a whole stable window, and in panic recommends the
  largest of the stable and panic desires and of its earlier panic
  recommendations, never fewer than current (no scale-down in panic);
- outside panic a scale-up is capped at ``ceil(current x maxScaleRate)`` and
  scale-up policies apply; in panic neither does (rapid scale-up), and
  ``bypassGateOnPanic`` lets a scale-up past the starting-pods gate;
- the reason says ``[PANIC MODE]`` while in panic, ``(entered panic mode)``
  on the tick it enters and ``(left panic mode)`` on the tick it leaves.

As built (quirk ``kpa-windows-unused``) only this tick's snapshot counts, panic
is decided per tick with ``value / target >= threshold`` and there is no hold;
``panic-threshold-as-percent`` divides the threshold by 100.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .budscaler import (Recommendation, ScaleRequest, baseline, check_request, clamp, gate,
                        stabilize, within_bounds)
from .gomath import go_ceil
from .model import Model
from .policies import apply_policies, down_rate_floor, up_rate_ceiling
from .scaling_context import ScalingContext
from .stabilization import RecommendationWindow

ENTERED, LEFT = " (entered panic mode)", " (left panic mode)"


@dataclass
class KpaWindows:
    """What KPA remembers about one scaler between ticks (lost when the controller restarts)."""

    loads: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    panic_since: float | None = None     # the last tick a panic desired crossed the threshold
    max_panic_pods: int = 0

    def record(self, metric: str, now: float, load: float, keep_seconds: float) -> None:
        samples = [(t, v) for t, v in self.loads.get(metric, []) if t > now - keep_seconds]
        self.loads[metric] = samples + [(now, load)]

    def mean(self, metric: str, now: float, window_seconds: float) -> float:
        """Mean load of ``metric`` over (now - window, now]; the tick just recorded (call after record) counts."""
        samples = [v for t, v in self.loads[metric] if t > now - window_seconds or t == now]
        return sum(samples) / len(samples)


@dataclass(frozen=True)
class _Best:
    replicas: int = 0
    metric: str = ""
    value: float = 0.0
    target: float = 0.0


@dataclass(frozen=True)
class _Desire:
    metric: str
    value: float
    target: float
    stable: int
    panic: int
    panic_load: float   # the panic window's mean load in pods, not rounded
    loaded: bool      # the metric reads more than zero


def recommend(request: ScaleRequest, model: Model, window: RecommendationWindow,
              windows: KpaWindows | None = None) -> Recommendation:
    """KPA's recommendation for one tick; ``windows`` is the scaler's memory (fresh if None)."""
    check_request(request)
    if model.has("kpa-windows-unused"):
        return _per_tick(request, model, window)
    return _windowed(request, model, window, KpaWindows() if windows is None else windows)


# -- contract: stable and panic windows ------------------------------------------
def _windowed(request: ScaleRequest, model: Model, window: RecommendationWindow,
              windows: KpaWindows) -> Recommendation:
    ctx, current = request.context, request.current
    desires = _desires(request, model, windows)
    threshold = ctx.effective_panic_threshold(model) * max(1, current)
    over = any(d.panic_load >= threshold for d in desires)
    suffix = _update_panic(windows, over, request.now, ctx.stable_window_seconds)
    panic = windows.panic_since is not None
    best = _choose(desires, current, ctx, model, panic)
    rec = best.replicas if desires else current
    if panic:
        rec = max(rec, windows.max_panic_pods, current)
        windows.max_panic_pods = rec
    rec = clamp(ctx, rec)
    rec = _controls(request, model, rec, panic)
    final = within_bounds(ctx, model, stabilize(request, model, window, rec))
    return _result(request, best, final, rec, panic, suffix)


def _desires(request: ScaleRequest, model: Model, windows: KpaWindows) -> list[_Desire]:
    ctx, current = request.context, request.current
    base = baseline(request.ready, request.starting, ctx.starting_pod_weight)
    keep = max(ctx.stable_window_seconds, ctx.panic_window_seconds)
    desires = []
    for source in request.spec.metrics_sources:
        snap, target = request.snapshots.get(source.target_metric), source.target()
        if snap is None or target is None or target <= 0:
            continue
        ratio = snap.average / target
        r = max(1, base if ratio > 1 and base > current else current)
        windows.record(source.target_metric, request.now, r * ratio, keep)
        stable = windows.mean(source.target_metric, request.now, ctx.stable_window_seconds)
        panic = windows.mean(source.target_metric, request.now, ctx.panic_window_seconds)
        in_band = current > 0 and ctx.within_tolerance(stable / current, model)
        desires.append(_Desire(source.target_metric, snap.average, target,
                               current if in_band else go_ceil(stable), go_ceil(panic), panic,
                               stable > 0 or model.has("never-scales-to-zero")))
    return desires


def _update_panic(windows: KpaWindows, over: bool, now: float, stable_seconds: float) -> str:
    """Knative's rule: enter when over, extend while over, leave a stable window after the last.

    Returns the reason's suffix for this tick: ENTERED, LEFT or ""."""
    if over:
        entered = windows.panic_since is None
        windows.panic_since = now
        return ENTERED if entered else ""
    if windows.panic_since is not None and now - windows.panic_since >= stable_seconds:
        windows.panic_since, windows.max_panic_pods = None, 0
        return LEFT
    return ""


def _choose(desires: list[_Desire], current: int, ctx: ScalingContext, model: Model,
            panic: bool) -> _Best:
    best = _Best()
    for desire in desires:
        d = max(desire.stable, desire.panic) if panic else desire.stable
        d = _rate_capped(d, current, ctx, model, panic)
        if desire.loaded:
            d = max(d, 1)
        if d > best.replicas or not best.metric:
            best = _Best(d, desire.metric, desire.value, desire.target)
    return best


def _rate_capped(d: int, current: int, ctx: ScalingContext, model: Model, panic: bool) -> int:
    if d > current and not panic:
        return min(d, up_rate_ceiling(max(1, current), ctx.max_scale_up_rate, model))
    if d < current:
        return max(d, down_rate_floor(current, ctx.max_scale_down_rate, model))
    return d


def _controls(request: ScaleRequest, model: Model, rec: int, panic: bool) -> int:
    """Policies (scale-up ones only outside panic), then the starting-pods gate."""
    ctx, current = request.context, request.current
    if rec < current or not panic:
        rec = apply_policies(ctx, current, rec, model, request.scale_events, request.now)
    if not (ctx.bypass_gate_on_panic and panic):
        rec = gate(request, rec)
    return rec


# -- as built: this tick only ------------------------------------------------------
def _per_tick(request: ScaleRequest, model: Model, window: RecommendationWindow) -> Recommendation:
    ctx, current = request.context, request.current
    base = baseline(request.ready, request.starting, ctx.starting_pod_weight)
    best, panic, usable = _Best(), False, False
    for source in request.spec.metrics_sources:
        snap, target = request.snapshots.get(source.target_metric), source.target()
        if snap is None or target is None:
            continue
        usable = usable or target > 0
        d, hot = desired_for_metric(snap.average, target, current, base, ctx, model)
        panic = panic or hot
        if d > best.replicas or not best.metric:
            best = _Best(d, source.target_metric, snap.average, target)
    zero_ok = usable and not model.has("never-scales-to-zero")
    rec = clamp(ctx, best.replicas if best.replicas != 0 or zero_ok else current)
    rec = _controls(request, model, rec, panic)
    final = within_bounds(ctx, model, stabilize(request, model, window, rec))
    return _result(request, best, final, rec, panic, "")


def desired_for_metric(value: float, target: float, current: int, base: int,
                       ctx: ScalingContext, model: Model) -> tuple[int, bool]:
    """One metric's desired count this tick and whether it is in panic (the code's KPA)."""
    if target <= 0:
        return current, False
    ratio = value / target
    panic = ratio >= ctx.effective_panic_threshold(model)
    if ctx.within_tolerance(ratio, model):
        return current, False
    r = base if ratio > 1 and base > current else current
    d = go_ceil(r * ratio)
    if d > current and not panic:
        d = min(d, up_rate_ceiling(current, ctx.max_scale_up_rate, model))
    elif d < current:
        d = max(d, down_rate_floor(current, ctx.max_scale_down_rate, model))
    if value <= 0 and not model.has("never-scales-to-zero"):
        return max(d, 0), panic
    return max(d, 1), panic


def _result(request: ScaleRequest, best: _Best, final: int, unstabilized: int,
            panic: bool, transition: str) -> Recommendation:
    current = request.current
    detail = f"{best.metric} metric (current: {best.value:.2f}, target: {best.target:.2f})"
    if final > current:
        direction, reason = "up", f"Scaling up from {current} to {final} replicas based on {detail}"
    elif final < current:
        direction, reason = "down", f"Scaling down from {current} to {final} replicas based on {detail}"
    else:
        direction = "none"
        reason = f"No scaling needed. Current replicas {current} is optimal for {detail}"
    if panic:
        reason += " [PANIC MODE]"
    return Recommendation(final, reason + transition, direction, best.metric, best.value,
                          best.target, unstabilized, in_panic_mode=panic)
