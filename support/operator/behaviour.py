"""What the operator decides with: the seams through which its behaviour is injected.

The operator's I/O (API client, clock) is injected where it is built; its
judgement comes from a `Behaviour`: the reference model's quirks and the pure
functions it calls. The shipped behaviour is the reference model's; tests build
deliberately broken ones by wrapping or replacing these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Protocol

from support.reference import budscaler, kpa
from support.reference.budscaler import PredictionData, Recommendation, ScaleRequest
from support.reference.learning.system import LearningSystem
from support.reference.model import CONTRACT, Model, model_named
from support.reference.schedule import active_hint
from support.reference.spec import ScalerSpec, ScheduleHint, validate
from support.reference.stabilization import RecommendationWindow


class Strategy(Protocol):
    def __call__(self, request: ScaleRequest, model: Model, window: RecommendationWindow) -> Recommendation: ...


class LearningFactory(Protocol):
    def __call__(self, scaler_name: str, namespace: str, *, look_ahead_minutes: int, historical_days: int,
                 enabled: bool, model: Model) -> LearningSystem: ...


# HPA (the controller's own HPA object) is not modelled; KPA and BudScaler are.
STRATEGIES: Mapping[str, Strategy] = {"BudScaler": budscaler.recommend, "KPA": kpa.recommend}


def set_ready(status: dict, ok: bool, reason: str, message: str, now_text: str, model: Model) -> None:
    """The Ready condition rule of §2.8; the contract also refreshes reason and message."""
    wanted = "True" if ok else "False"
    conditions = [dict(c) for c in status.get("conditions") or []]
    existing = next((c for c in conditions if c.get("type") == "Ready"), None)
    fresh = {"type": "Ready", "status": wanted, "reason": reason, "message": message,
             "lastTransitionTime": now_text}
    if existing is None:
        conditions.append(fresh)
    elif existing.get("status") != wanted:
        existing.clear()
        existing.update(fresh)
    elif not model.has("ready-reason-not-refreshed"):
        existing.update(reason=reason, message=message)
    status["conditions"] = conditions


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

    def with_model(self, model: Model) -> "Behaviour":
        return replace(self, model=model)

    def with_strategy(self, name: str, strategy: Strategy) -> "Behaviour":
        return replace(self, strategies={**self.strategies, name: strategy})


def behaviour_named(model: str) -> Behaviour:
    """The shipped behaviour for `-D model=` / `--model` (contract or as-built)."""
    return Behaviour(model=model_named(model))
