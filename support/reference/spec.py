"""A typed, defaulted view of a BudAIScaler object (catalogue §1.2) and its validation (§1.6).

``ScalerSpec.from_object`` accepts the whole object (``metadata`` + ``spec``)
or just the ``spec`` mapping. Defaults are those the CRD or the Go getters
apply; float-valued strings (targetValue, maxScaleRate, tolerance, weights)
stay strings here because their parse failures have behaviour of their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .durations import parse_go_duration, parse_quantity
from .gomath import parse_go_float

DEFAULT_PORT = "8000"
DEFAULT_PATH = "/metrics"
DEFAULT_ENGINE_PORT = 8000


@dataclass(frozen=True)
class TargetRef:
    api_version: str
    kind: str
    name: str


@dataclass(frozen=True)
class InferenceEngineConfig:
    engine_type: str
    metrics_port: int = DEFAULT_ENGINE_PORT
    metrics_path: str = DEFAULT_PATH


@dataclass(frozen=True)
class MetricSource:
    metric_source_type: str
    target_metric: str
    target_value: str
    protocol_type: str = ""
    endpoint: str = ""
    path: str = ""
    port: str = ""
    prom_ql: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    inference_engine_config: InferenceEngineConfig | None = None

    def target(self) -> float | None:
        """targetValue as Go's ParseFloat reads it, None if unparseable."""
        return parse_go_float(self.target_value)


@dataclass(frozen=True)
class ScalingPolicy:
    type: str          # "Pods" | "Percent"
    value: int
    period_seconds: int


@dataclass(frozen=True)
class StartingPods:
    starting_pod_weight: str | None = None
    max_starting_pods: int | None = None
    max_starting_pod_percent: int | None = None
    bypass_gate_on_panic: bool | None = None


@dataclass(frozen=True)
class ScalingRules:
    stabilization_window_seconds: int | None = None
    select_policy: str | None = None
    policies: tuple[ScalingPolicy, ...] = ()
    max_scale_rate: str | None = None
    tolerance: str | None = None
    starting_pods: StartingPods | None = None


@dataclass(frozen=True)
class Behavior:
    scale_up: ScalingRules | None = None
    scale_down: ScalingRules | None = None


@dataclass(frozen=True)
class GPUConfig:
    enabled: bool = False
    gpu_memory_threshold: int | None = None
    gpu_compute_threshold: int | None = None
    topology_aware: bool = False
    preferred_gpu_type: str = ""
    vgpu_support: bool = False


@dataclass(frozen=True)
class CostConfig:
    enabled: bool = False
    cloud_provider: str = "aws"
    budget_per_hour: str | int | float | None = None
    budget_per_day: str | int | float | None = None
    prefer_spot_instances: bool = False
    spot_fallback_to_on_demand: bool = True
    cost_optimization_mode: str = "balanced"

    def budget_per_hour_value(self) -> float:
        """budgetPerHour as a float (0 when unset), like ``AsApproximateFloat64``."""
        return 0.0 if self.budget_per_hour is None else parse_quantity(self.budget_per_hour)


@dataclass(frozen=True)
class PredictionConfig:
    enabled: bool = False
    look_ahead_minutes: int = 15
    historical_data_days: int = 7
    enable_learning: bool = True
    prediction_metrics: tuple[str, ...] = ()
    seasonal_metrics: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScheduleHint:
    name: str
    cron_expression: str
    target_replicas: int
    duration: str

    def duration_seconds(self) -> float:
        """The active window length; 0 (never active) if the duration does not parse."""
        try:
            return parse_go_duration(self.duration)
        except ValueError:
            return 0.0


@dataclass(frozen=True)
class ScalerSpec:
    name: str
    namespace: str
    annotations: Mapping[str, str]
    scale_target_ref: TargetRef
    min_replicas: int
    max_replicas: int
    scaling_strategy: str
    metrics_sources: tuple[MetricSource, ...]
    behavior: Behavior | None = None
    gpu_config: GPUConfig | None = None
    cost_config: CostConfig | None = None
    prediction_config: PredictionConfig | None = None
    schedule_hints: tuple[ScheduleHint, ...] = ()

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> "ScalerSpec":
        """Build from a BudAIScaler dict (or its ``spec``), applying §1.2 defaults."""
        spec = obj["spec"] if "spec" in obj else obj
        meta = obj.get("metadata") or {}
        sources = tuple(_source(s) for s in spec.get("metricsSources") or ())
        min_replicas = spec.get("minReplicas")
        return cls(
            name=meta.get("name", ""),
            namespace=meta.get("namespace", ""),
            annotations=dict(meta.get("annotations") or {}),
            scale_target_ref=_target_ref(spec.get("scaleTargetRef") or {}),
            min_replicas=1 if min_replicas is None else int(min_replicas),
            max_replicas=int(spec.get("maxReplicas") or 0),
            scaling_strategy=spec.get("scalingStrategy") or "BudScaler",
            metrics_sources=sources,
            behavior=_behavior(spec.get("behavior")),
            gpu_config=_gpu(spec.get("gpuConfig")),
            cost_config=_cost(spec.get("costConfig")),
            prediction_config=_prediction(spec.get("predictionConfig"), sources),
            schedule_hints=tuple(_hint(h) for h in spec.get("scheduleHints") or ()),
        )


def validate(spec: ScalerSpec) -> str | None:
    """The controller's first validation failure message (§1.6), or None if valid."""
    if not spec.scale_target_ref.name:
        return "scaleTargetRef.name is required"
    if not spec.metrics_sources:
        return "at least one metric source is required"
    if spec.max_replicas < 1:
        return "maxReplicas must be at least 1"
    if spec.min_replicas > spec.max_replicas:
        return (f"minReplicas ({spec.min_replicas}) cannot be greater than "
                f"maxReplicas ({spec.max_replicas})")
    return None


def _target_ref(ref: Mapping[str, Any]) -> TargetRef:
    return TargetRef(ref.get("apiVersion", ""), ref.get("kind", ""), ref.get("name", ""))


def _source(src: Mapping[str, Any]) -> MetricSource:
    engine = src.get("inferenceEngineConfig")
    return MetricSource(
        metric_source_type=src.get("metricSourceType", ""),
        target_metric=src.get("targetMetric", ""),
        target_value=str(src.get("targetValue", "")),
        protocol_type=src.get("protocolType") or "",
        endpoint=src.get("endpoint") or "",
        path=src.get("path") or "",
        port=str(src.get("port") or ""),
        prom_ql=src.get("promQL") or "",
        headers=dict(src.get("headers") or {}),
        inference_engine_config=None if engine is None else InferenceEngineConfig(
            engine_type=engine.get("engineType", ""),
            metrics_port=int(engine.get("metricsPort", DEFAULT_ENGINE_PORT)),
            metrics_path=engine.get("metricsPath", DEFAULT_PATH),
        ),
    )


def _rules(rules: Mapping[str, Any] | None) -> ScalingRules | None:
    if rules is None:
        return None
    starting = rules.get("startingPods")
    window = rules.get("stabilizationWindowSeconds")
    return ScalingRules(
        stabilization_window_seconds=None if window is None else int(window),
        select_policy=rules.get("selectPolicy"),
        policies=tuple(ScalingPolicy(p.get("type", ""), int(p.get("value", 0)),
                                     int(p.get("periodSeconds", 0)))
                       for p in rules.get("policies") or ()),
        max_scale_rate=_opt_str(rules.get("maxScaleRate")),
        tolerance=_opt_str(rules.get("tolerance")),
        starting_pods=None if starting is None else StartingPods(
            starting_pod_weight=_opt_str(starting.get("startingPodWeight")),
            max_starting_pods=starting.get("maxStartingPods"),
            max_starting_pod_percent=starting.get("maxStartingPodPercent"),
            bypass_gate_on_panic=starting.get("bypassGateOnPanic"),
        ),
    )


def _behavior(behavior: Mapping[str, Any] | None) -> Behavior | None:
    if behavior is None:
        return None
    return Behavior(_rules(behavior.get("scaleUp")), _rules(behavior.get("scaleDown")))


def _gpu(gpu: Mapping[str, Any] | None) -> GPUConfig | None:
    if gpu is None:
        return None
    return GPUConfig(
        enabled=bool(gpu.get("enabled")),
        gpu_memory_threshold=gpu.get("gpuMemoryThreshold"),
        gpu_compute_threshold=gpu.get("gpuComputeThreshold"),
        topology_aware=bool(gpu.get("topologyAware")),
        preferred_gpu_type=gpu.get("preferredGPUType", ""),
        vgpu_support=bool(gpu.get("vgpuSupport")),
    )


def _cost(cost: Mapping[str, Any] | None) -> CostConfig | None:
    if cost is None:
        return None
    return CostConfig(
        enabled=bool(cost.get("enabled")),
        cloud_provider=cost.get("cloudProvider") or "aws",
        budget_per_hour=cost.get("budgetPerHour"),
        budget_per_day=cost.get("budgetPerDay"),
        prefer_spot_instances=bool(cost.get("preferSpotInstances")),
        spot_fallback_to_on_demand=bool(cost.get("spotFallbackToOnDemand", True)),
        cost_optimization_mode=cost.get("costOptimizationMode") or "balanced",
    )


def _prediction(pred: Mapping[str, Any] | None,
                sources: tuple[MetricSource, ...]) -> PredictionConfig | None:
    if pred is None:
        return None
    metrics = tuple(pred.get("predictionMetrics") or ())
    if not metrics and sources:
        metrics = (sources[0].target_metric,)
    look_ahead = pred.get("lookAheadMinutes")
    days = pred.get("historicalDataDays")
    return PredictionConfig(
        enabled=bool(pred.get("enabled")),
        look_ahead_minutes=15 if look_ahead is None else int(look_ahead),
        historical_data_days=7 if days is None else int(days),
        enable_learning=bool(pred.get("enableLearning", True)),
        prediction_metrics=metrics,
        seasonal_metrics=tuple(pred.get("seasonalMetrics") or ()) or metrics,
    )


def _hint(hint: Mapping[str, Any]) -> ScheduleHint:
    return ScheduleHint(
        name=hint.get("name", ""),
        cron_expression=hint.get("cronExpression", ""),
        target_replicas=int(hint.get("targetReplicas", 0)),
        duration=str(hint.get("duration", "")),
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
