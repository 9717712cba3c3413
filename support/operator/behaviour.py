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
from support.reference import budscaler, collection, hpa_mapping, kpa, status_rules
from support.reference.budscaler import PredictionData, Recommendation, ScaleRequest
from support.reference.kpa import KpaWindows
from support.reference.learning.system import LearningSystem
from support.reference.model import CONTRACT, Model, model_named
from support.reference.schedule import active_hint
from support.reference.spec import ScalerSpec, ScheduleHint, validate
from support.reference.stabilization import RecommendationWindow
from support.operator.scraping import Gatherer, Planner


class Strategy(Protocol):
    def __call__(self, request: ScaleRequest, model: Model, window: RecommendationWindow) -> Recommendation: ...


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


def write_prediction_status(status: dict, prediction: PredictionData | None, model: Model) -> None:
    """status.predictionStatus: what the scaler predicts, and the schedule hint in force (contract)."""
    if model.has("prediction-status-never-written"):
        return
    if prediction is None:
        status.pop("predictionStatus", None)
        return
    entry = {"predictedReplicas": prediction.predicted_replicas,
             "predictionConfidence": f"{prediction.confidence:.2f}"}
    if prediction.is_schedule_hint:
        entry["activeScheduleHint"] = prediction.hint_name
    status["predictionStatus"] = entry


@dataclass(frozen=True)
class Behaviour:
    model: Model = CONTRACT
    strategies: Mapping[str, Strategy] = field(default_factory=lambda: dict(STRATEGIES))
    validate: Callable[[ScalerSpec], str | None] = validate
    ready: Callable[[dict, bool, str, str, str, Model], None] = set_ready
    learning_system: LearningFactory = LearningSystem
    active_hint: Callable[[list[ScheduleHint], float], ScheduleHint | None] = active_hint
    prediction_status: Callable[[dict, PredictionData | None, Model], None] = write_prediction_status
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
    # status.scalingHistory after a scale: the entries so far and the new one -> what is kept
    history: Callable[[Sequence[Mapping] | None, Mapping], list[dict]] = status_rules.with_history

    def with_model(self, model: Model) -> "Behaviour":
        return replace(self, model=model)

    def with_strategy(self, name: str, strategy: Strategy) -> "Behaviour":
        return replace(self, strategies={**self.strategies, name: strategy})


def behaviour_named(model: str) -> Behaviour:
    """The shipped behaviour for `-D model=` / `--model` (contract or as-built)."""
    return Behaviour(model=model_named(model))
