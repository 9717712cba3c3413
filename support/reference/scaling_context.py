"""The scaling context: parameters BudScaler and KPA read each tick (catalogue §4.1, §1.5).

Built from the spec, then the scaler's own annotations (annotations win;
unparseable annotation values are ignored). The tolerance is kept as
written; ``effective_tolerance(model)`` gives the fraction the algorithms
compare against: the contract reads ``0.1`` as 10 %, the as-built code
divides by 100 (quirk ``tolerance-as-percent``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from .durations import parse_go_duration
from .gomath import go_int, parse_go_float, parse_go_int
from .model import Model
from .spec import ScalerSpec, ScalingPolicy, ScalingRules

# HEAD's default; the last compiling commit (c6d9c81) used 0 (gate disabled).
DEFAULT_MAX_STARTING_POD_PERCENT = 50
DEFAULT_UP_RATE = 2.0
DEFAULT_DOWN_RATE = 0.5
DEFAULT_TOLERANCE = 0.1
DEFAULT_UP_WINDOW = 0
DEFAULT_DOWN_WINDOW = 300
DEFAULT_PANIC_THRESHOLD = 2.0
DEFAULT_STARTING_POD_WEIGHT = 0.5

ANNOTATION_PREFIX = "scaler.bud.studio/"


@dataclass(frozen=True)
class ScalingContext:
    min_replicas: int
    max_replicas: int
    max_scale_up_rate: float = DEFAULT_UP_RATE
    max_scale_down_rate: float = DEFAULT_DOWN_RATE
    tolerance: float = DEFAULT_TOLERANCE
    scale_down_tolerance: float = DEFAULT_TOLERANCE
    up_stabilization_seconds: int = DEFAULT_UP_WINDOW
    down_stabilization_seconds: int = DEFAULT_DOWN_WINDOW
    panic_threshold: float = DEFAULT_PANIC_THRESHOLD
    panic_window_seconds: int = 60
    stable_window_seconds: int = 180
    scale_to_zero: bool = False
    activation_scale: int = 0
    up_policies: tuple[ScalingPolicy, ...] = ()
    up_select_policy: str = "Max"
    down_policies: tuple[ScalingPolicy, ...] = ()
    down_select_policy: str = "Min"
    starting_pod_weight: float = DEFAULT_STARTING_POD_WEIGHT
    max_starting_pods: int = 0
    max_starting_pod_percent: int = DEFAULT_MAX_STARTING_POD_PERCENT
    bypass_gate_on_panic: bool = False

    @classmethod
    def build(cls, spec: ScalerSpec, annotations: Mapping[str, str] | None = None,
              model: Model | None = None,
              default_max_starting_pod_percent: int = DEFAULT_MAX_STARTING_POD_PERCENT
              ) -> "ScalingContext":
        """Context for ``spec``; ``annotations`` default to the spec's own.

        ``model`` is accepted for symmetry; the context is the same in both
        models (interpretation differences live in the ``effective_*`` methods).
        """
        ctx = cls(spec.min_replicas, spec.max_replicas,
                  max_starting_pod_percent=default_max_starting_pod_percent)
        behavior = spec.behavior
        if behavior is not None:
            ctx = _apply_up_rules(ctx, behavior.scale_up)
            ctx = _apply_down_rules(ctx, behavior.scale_down)
        return _apply_annotations(ctx, spec.annotations if annotations is None else annotations)

    def effective_tolerance(self, model: Model) -> float:
        """The fraction |ratio - 1| is compared with on a scale-up."""
        if model.has("tolerance-as-percent"):
            return self.tolerance / 100
        return self.tolerance

    def effective_down_tolerance(self, model: Model) -> float:
        """The fraction 1 - ratio is compared with on a scale-down (as built: the scale-up one, §7.4)."""
        if model.has("scale-down-tolerance-unused"):
            return self.effective_tolerance(model)
        if model.has("tolerance-as-percent"):
            return self.scale_down_tolerance / 100
        return self.scale_down_tolerance

    def within_tolerance(self, ratio: float, model: Model) -> bool:
        """True when metric/target is too close to 1 to act on (strict, as the code compares)."""
        if ratio >= 1:
            return ratio - 1 < self.effective_tolerance(model)
        return 1 - ratio < self.effective_down_tolerance(model)

    def effective_panic_threshold(self, model: Model) -> float:
        """KPA's panic threshold as a multiple of the current load (2.0 = twice).

        As built it is divided by 100 at use (§7.5, quirk ``panic-threshold-as-percent``),
        so the default 2.0 means 2 % and the sample's "200" means 2x.
        """
        threshold = self.panic_threshold
        if model.has("panic-threshold-as-percent"):
            threshold /= 100
        return threshold if threshold > 0 else DEFAULT_PANIC_THRESHOLD


def _float_or(text: str | None, default: float) -> float:
    value = parse_go_float(text)             # None for None, as for any text Go would not parse
    return default if value is None else value


def _apply_up_rules(ctx: ScalingContext, rules: ScalingRules | None) -> ScalingContext:
    if rules is None:
        return ctx
    ctx = replace(ctx,
                  max_scale_up_rate=_float_or(rules.max_scale_rate, ctx.max_scale_up_rate),
                  tolerance=_float_or(rules.tolerance, ctx.tolerance))
    if rules.stabilization_window_seconds is not None:
        ctx = replace(ctx, up_stabilization_seconds=rules.stabilization_window_seconds)
    if rules.policies:
        ctx = replace(ctx, up_policies=rules.policies)
    if rules.select_policy:
        ctx = replace(ctx, up_select_policy=rules.select_policy)
    starting = rules.starting_pods
    if starting is None:
        return ctx
    return replace(
        ctx,
        starting_pod_weight=_float_or(starting.starting_pod_weight, ctx.starting_pod_weight),
        max_starting_pods=_or(starting.max_starting_pods, ctx.max_starting_pods),
        max_starting_pod_percent=_or(starting.max_starting_pod_percent,
                                     ctx.max_starting_pod_percent),
        bypass_gate_on_panic=_or(starting.bypass_gate_on_panic, ctx.bypass_gate_on_panic),
    )


def _apply_down_rules(ctx: ScalingContext, rules: ScalingRules | None) -> ScalingContext:
    if rules is None:
        return ctx
    ctx = replace(ctx,
                  max_scale_down_rate=_float_or(rules.max_scale_rate, ctx.max_scale_down_rate),
                  scale_down_tolerance=_float_or(rules.tolerance, ctx.scale_down_tolerance))
    if rules.stabilization_window_seconds is not None:
        ctx = replace(ctx, down_stabilization_seconds=rules.stabilization_window_seconds)
    if rules.policies:
        ctx = replace(ctx, down_policies=rules.policies)
    if rules.select_policy:
        ctx = replace(ctx, down_select_policy=rules.select_policy)
    return ctx


def _or(value, default):
    return default if value is None else value


def _duration_seconds(text: str) -> int | None:
    try:
        return go_int(parse_go_duration(text))
    except ValueError:
        return None


# annotation suffix -> (context field, parser returning None when unparseable)
_ANNOTATIONS = {
    "max-scale-up-rate": ("max_scale_up_rate", parse_go_float),
    "max-scale-down-rate": ("max_scale_down_rate", parse_go_float),
    "scale-up-tolerance": ("tolerance", parse_go_float),
    "scale-down-tolerance": ("scale_down_tolerance", parse_go_float),
    "scale-up-cooldown": ("up_stabilization_seconds", _duration_seconds),
    "scale-down-cooldown": ("down_stabilization_seconds", _duration_seconds),
    "panic-threshold": ("panic_threshold", parse_go_float),
    "panic-window": ("panic_window_seconds", _duration_seconds),
    "stable-window": ("stable_window_seconds", _duration_seconds),
    "scale-to-zero": ("scale_to_zero", lambda text: text == "true"),
    "activation-scale": ("activation_scale", parse_go_int),
}


def _apply_annotations(ctx: ScalingContext, annotations: Mapping[str, str]) -> ScalingContext:
    changes = {}
    for suffix, (name, parse) in _ANNOTATIONS.items():
        text = annotations.get(ANNOTATION_PREFIX + suffix)
        if text is None:
            continue
        value = parse(text)
        if value is not None:
            changes[name] = value
    return replace(ctx, **changes)
