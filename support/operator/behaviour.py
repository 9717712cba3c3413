"""What the operator decides with: the seams through which its behaviour is injected.

The operator's I/O (API client, clock) is injected where it is built; its
judgement comes from a `Behaviour`: the reference model's quirks and the pure
functions it calls. The shipped behaviour is the reference model's; tests build
deliberately broken ones by wrapping or replacing these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Mapping, Protocol, Sequence

from support.clock import parse_rfc3339
from support.reference import budscaler, collection, cost, gpu, hpa_mapping, kpa, prediction, schedule, status_rules
from support.reference.budscaler import CostMetrics, GPUMetrics, PredictionData, Recommendation, ScaleRequest
from support.reference.gpu import DcgmReading
from support.reference.kpa import KpaWindows
from support.reference.learning.system import LearningSystem
from support.reference.metrics import Snapshot
from support.reference.model import CONTRACT, Model, model_named
from support.reference.predictor import TimeSeriesPredictor
from support.reference.schedule import HintRegistry
from support.reference.spec import CostConfig, ScalerSpec, ScheduleHint, validate
from support.reference.stabilization import RecommendationWindow
from support.operator.scraping import Gatherer, Planner


class Strategy(Protocol):
    def __call__(self, request: ScaleRequest, model: Model, window: RecommendationWindow) -> Recommendation: ...


class Predict(Protocol):
    def __call__(self, predictor: TimeSeriesPredictor, hints: Sequence[ScheduleHint], spec: ScalerSpec,
                 snapshots: Mapping[str, Snapshot], previous_actual: int, now: float,
                 model: Model) -> PredictionData | None: ...


class PredictionStatus(Protocol):
    def __call__(self, prediction: PredictionData | None, hints: Sequence[ScheduleHint], now: float,
                 look_ahead_minutes: float, replicas: int, model: Model) -> dict | None: ...


class LearningFactory(Protocol):
    def __call__(self, scaler_name: str, namespace: str, *, look_ahead_minutes: int, historical_days: int,
                 enabled: bool, model: Model) -> LearningSystem: ...


@dataclass
class ScalerWindows(RecommendationWindow):
    """What the controller remembers of one scaler between ticks: its recommendations (stabilization)
    and KPA's stable and panic windows of load. Lost when the controller restarts, as in the code."""

    kpa: KpaWindows = field(default_factory=KpaWindows)


def kpa_strategy(request: ScaleRequest, model: Model, window: RecommendationWindow) -> Recommendation:
    """KPA over the scaler's own load windows (a plain RecommendationWindow: fresh windows every tick)."""
    return kpa.recommend(request, model, window, window.kpa if isinstance(window, ScalerWindows) else None)


# HPA (the controller's own HPA object) is not modelled; KPA and BudScaler are.
STRATEGIES: Mapping[str, Strategy] = {"BudScaler": budscaler.recommend, "KPA": kpa_strategy}


def set_ready(status: dict, ok: bool, reason: str, message: str, now_text: str, model: Model) -> None:
    """The Ready condition: the one condition rule of §2.8 (status_rules.set_condition)."""
    set_condition(status, "Ready", "True" if ok else "False", reason, message, now_text, model)


def set_condition(status: dict, type_: str, value: str, reason: str, message: str, now_text: str,
                  model: Model) -> None:
    status["conditions"] = status_rules.set_condition(status.get("conditions") or [], type_, value, reason,
                                                      message, parse_rfc3339(now_text), model)


@dataclass(frozen=True)
class Behaviour:
    model: Model = CONTRACT
    strategies: Mapping[str, Strategy] = field(default_factory=lambda: dict(STRATEGIES))
    validate: Callable[[ScalerSpec], str | None] = validate
    ready: Callable[[dict, bool, str, str, str, Model], None] = set_ready
    learning_system: LearningFactory = LearningSystem
    # metric sources (§3): what to GET for each source, and what the replies say
    plan_collection: Planner = collection.plan
    gather_collection: Gatherer = collection.gather
    # conditions beyond Ready (§2.6, §2.8): ScalingActive after a collection, ConflictDetected
    scaling_active: Callable[[Mapping[str, str], Iterable[str], Model], tuple[str, str, str] | None] = \
        status_rules.scaling_active
    conflict: Callable[[Mapping, Iterable[Mapping], Model], str | None] = status_rules.conflict
    # the HPA strategy (§2.3): the scaler's <scaler>-hpa, and what its status says back
    hpa: Callable[[Mapping], dict] = hpa_mapping.build_hpa
    hpa_status: Callable[[Mapping | None, int, Model], dict] = hpa_mapping.scaler_status_from_hpa
    # status.actualScale from the target's replicas (asked, made, ready) and the recommendation
    actual_scale: Callable[[status_rules.TargetReplicas, int, Model], int] = status_rules.actual_scale
    # status.scalingHistory after a scale: the entries so far and the new one -> what is kept
    history: Callable[[Sequence[Mapping] | None, Mapping], list[dict]] = status_rules.with_history
    # GPU awareness (§5.1): the exporter's answer read, what BudScaler gets, status.gpuStatus
    gpu_reading: Callable[[int | None, str], DcgmReading | None] = gpu.reading_from_response
    gpu_metrics: Callable[[DcgmReading | None, Model], GPUMetrics | None] = gpu.gpu_metrics
    gpu_status: Callable[[DcgmReading | None, Model], dict | None] = gpu.gpu_status
    # cost (§5.2): BudScaler's step-5 input for the current replicas, status.costStatus for the chosen ones
    cost_metrics: Callable[[CostConfig | None, int, Model], CostMetrics | None] = cost.cost_metrics
    cost_status: Callable[[CostConfig | None, int, Model], dict | None] = cost.cost_status
    unpriced_note: Callable[[CostConfig | None, Model], str | None] = cost.unpriced_note
    # schedule hints and prediction (§5.3, §5.4)
    hints_in_force: Callable[[Sequence[ScheduleHint], HintRegistry, Model], list[ScheduleHint]] = \
        schedule.hints_in_force
    predict: Predict = prediction.tick_prediction
    prediction_status: PredictionStatus = prediction.prediction_status

    def with_model(self, model: Model) -> "Behaviour":
        return replace(self, model=model)

    def with_strategy(self, name: str, strategy: Strategy) -> "Behaviour":
        return replace(self, strategies={**self.strategies, name: strategy})


def behaviour_named(model: str, quirks: Iterable[str] | None = None) -> Behaviour:
    """The shipped behaviour for `-D model=` / `--model` (contract or as-built), and `-D quirks=` / `--quirks`."""
    return Behaviour(model=model_named(model, quirks))
