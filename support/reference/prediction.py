"""One tick's prediction (catalogue §2.4 steps 9-10, §5.3, §5.4) and status.predictionStatus.

``tick_prediction`` is what the controller hands BudScaler each tick: an active
schedule hint wins (its target as a floor, step 4); otherwise, with
``predictionConfig.enabled``, the time-series predictor's replica count and
confidence, which BudScaler blends in only at confidence >= 0.7 with weight
0.3 x confidence (step 3; a NaN confidence is ignored under the contract,
``nan-confidence`` as built). The predictor looks ``lookAheadMinutes`` ahead
(``fixed-lookahead``: 15 as built) and keeps one history per scaler
(``predictor-shared-by-metric``: per metric name as built).

``prediction_status`` renders ``status.predictionStatus`` (never written as built,
``prediction-status-never-written``). Where the CRD only names the fields, the
contract fills them so:

- ``predictedReplicas``: the replicas of the prediction data (a hint's target);
- ``predictionConfidence``: ``%.2f`` of its confidence, a NaN confidence as ``0.00``;
- ``activeScheduleHint``: the name of the hint in force;
- ``nextPredictedChange``: the earliest of the next change of the hint in force
  (a window opening or closing) and, when a confident (>= 0.7) prediction expects
  other replicas than the scaler now runs, now + lookAheadMinutes.

The status is left out when there is neither prediction data nor a foreseen change.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from .budscaler import PREDICTION_MIN_CONFIDENCE, PredictionData
from .learning.timefmt import rfc3339
from .metrics import Snapshot
from .model import Model
from .predictor import TimeSeriesPredictor, effective_look_ahead, history_key
from .schedule import active_hint, hint_prediction, next_hint_change
from .spec import ScalerSpec, ScheduleHint

DEFAULT_TARGET = 50.0


def primary_metric(spec: ScalerSpec) -> str:
    """The predicted metric: the first prediction metric, else the first source's."""
    config = spec.prediction_config
    if config is not None and config.prediction_metrics:
        return config.prediction_metrics[0]
    return spec.metrics_sources[0].target_metric if spec.metrics_sources else ""


def primary_target(spec: ScalerSpec, metric: str) -> float:
    """The target of the first source of ``metric`` whose target parses, else 50."""
    return next((s.target() for s in spec.metrics_sources
                 if s.target_metric == metric and s.target() is not None), DEFAULT_TARGET)


def tick_prediction(predictor: TimeSeriesPredictor, hints: Sequence[ScheduleHint],
                    spec: ScalerSpec, snapshots: Mapping[str, Snapshot], previous_actual: int,
                    now: float, model: Model) -> PredictionData | None:
    """The prediction data of one tick, feeding this tick's snapshots to the predictor first.

    ``hints`` are the hints in force (``schedule.hints_in_force``); ``previous_actual`` is
    ``status.actualScale`` as read at the start of the tick (the predictor's "current").
    """
    config = spec.prediction_config
    if config is None or not config.enabled:
        if not spec.schedule_hints:
            return None
        hint = active_hint(hints, now)
        return hint_prediction(hint) if hint is not None else None
    for metric, snap in snapshots.items():
        predictor.add(history_key(model, spec.namespace, spec.name, metric), snap.average, now)
    hint = active_hint(hints, now)
    if hint is not None:
        return hint_prediction(hint)
    metric = primary_metric(spec)
    return predictor.predict_replicas(
        history_key(model, spec.namespace, spec.name, metric), previous_actual,
        primary_target(spec, metric), spec.min_replicas, spec.max_replicas,
        effective_look_ahead(model, config.look_ahead_minutes))


def is_confident(prediction: PredictionData) -> bool:
    """Confident enough to act on (a NaN confidence is not)."""
    return prediction.confidence >= PREDICTION_MIN_CONFIDENCE


def next_predicted_change(prediction: PredictionData | None, hints: Sequence[ScheduleHint],
                          now: float, look_ahead_minutes: float, replicas: int) -> float | None:
    """When the scaler expects its replicas to change next (see the module notes)."""
    changes = []
    hint_change = next_hint_change(hints, now)
    if hint_change is not None:
        changes.append(hint_change)
    if (prediction is not None and not prediction.is_schedule_hint and is_confident(prediction)
            and prediction.predicted_replicas != replicas):
        changes.append(now + look_ahead_minutes * 60)
    return min(changes) if changes else None


def prediction_status(prediction: PredictionData | None, hints: Sequence[ScheduleHint],
                      now: float, look_ahead_minutes: float, replicas: int,
                      model: Model) -> dict | None:
    """``status.predictionStatus`` after a tick that settled on ``replicas``; None leaves it out."""
    if model.has("prediction-status-never-written"):
        return None
    status: dict = {}
    if prediction is not None:
        confidence = 0.0 if math.isnan(prediction.confidence) else prediction.confidence
        status["predictedReplicas"] = prediction.predicted_replicas
        status["predictionConfidence"] = f"{confidence:.2f}"
        if prediction.is_schedule_hint:
            status["activeScheduleHint"] = prediction.hint_name
    change = next_predicted_change(prediction, hints, now, look_ahead_minutes, replicas)
    if change is not None:
        status["nextPredictedChange"] = rfc3339(change)
    return status or None


def look_ahead_minutes(spec: ScalerSpec, model: Model) -> int:
    """The look-ahead the predictor uses for ``spec`` (15 without a predictionConfig)."""
    config = spec.prediction_config
    return effective_look_ahead(model, None if config is None else config.look_ahead_minutes)
