"""The reference controller's prediction and learning steps (§2.4 steps 10 and 13, §5.4, §5.5).

Glue between one reconcile and the pure reference classes: feed the predictor,
ask it for a prediction, record the tick in the scaler's learning system,
verify matured predictions, persist learning data to the scaler's ConfigMap
and fill `status.learningStatus` / `status.predictionStatus`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from support.localcluster import scraping
from support.localcluster.store import ApiError
from support.reference.budscaler import PredictionData, Recommendation
from support.reference.learning.system import LearningSystem, LLMMetrics
from support.reference.metrics import Snapshot
from support.reference.model import Model
from support.reference.predictor import TimeSeriesPredictor, effective_look_ahead, history_key
from support.reference.schedule import active_hint, hint_prediction
from support.reference.spec import ScalerSpec

if TYPE_CHECKING:
    from support.localcluster.controller import ReferenceController, _Memory

DEFAULT_TARGET = 50.0


def new_predictor() -> TimeSeriesPredictor:
    return TimeSeriesPredictor()


def predict(predictor: TimeSeriesPredictor, spec: ScalerSpec, snapshots: Mapping[str, Snapshot],
            current: int, now: float, model: Model) -> PredictionData | None:
    """The prediction data of one tick (§2.4 step 10): an active schedule hint wins over the predictor.

    Hints are the scaler's own here; the controller shares them across scalers by name (§7.17),
    which the embedded model does not reproduce.
    """
    config = spec.prediction_config
    hint = active_hint(spec.schedule_hints, now)
    if config is None or not config.enabled:
        return hint_prediction(hint) if hint is not None else None
    for metric, snap in snapshots.items():
        predictor.add(history_key(model, spec.namespace, spec.name, metric), snap.average, now)
    metric = config.prediction_metrics[0] if config.prediction_metrics else spec.metrics_sources[0].target_metric
    target = next((s.target() for s in spec.metrics_sources
                   if s.target_metric == metric and s.target() is not None), DEFAULT_TARGET)
    if hint is not None:
        return hint_prediction(hint)
    return predictor.predict_replicas(history_key(model, spec.namespace, spec.name, metric), current, target,
                                      spec.min_replicas, spec.max_replicas,
                                      effective_look_ahead(model, config.look_ahead_minutes))


def learn(controller: "ReferenceController", memory: "_Memory", scaler: dict, spec: ScalerSpec,
          collection: scraping.Collection, current: int, decision: Recommendation,
          prediction: PredictionData | None, previous_actual: int, status: dict, now: float) -> None:
    """Record this tick, verify matured predictions, persist, and write the learning/prediction status."""
    config = spec.prediction_config
    if config is None or not config.enable_learning:
        return
    model = controller.model
    if memory.learning is None:
        memory.learning = _load(controller, spec, config)
    system = memory.learning
    metrics = {name: snap.average for name, snap in collection.snapshots.items()}
    predicted = prediction.predicted_replicas if prediction is not None else decision.replicas
    system.record(now, metrics, _llm_metrics(collection, model), current, decision.replicas, predicted)
    system.verify(now, previous_actual)
    if system.should_persist(now):
        _persist(controller, scaler, spec, system, now)
    status["learningStatus"] = system.status(now)


def _llm_metrics(collection: scraping.Collection, model: Model) -> LLMMetrics:
    if model.has("llm-metrics-zero"):
        return LLMMetrics()
    return LLMMetrics(**scraping.llm_metrics(collection.bodies))


def write_prediction_status(status: dict, prediction: PredictionData | None, model: Model) -> None:
    """status.predictionStatus: what the scaler predicts, and the schedule hint in force (contract)."""
    if model.has("prediction-status-never-written"):
        return
    if prediction is None:
        status.pop("predictionStatus", None)
        return
    status["predictionStatus"] = _prediction_status(prediction)


def _prediction_status(prediction: PredictionData) -> dict:
    status = {"predictedReplicas": prediction.predicted_replicas,
              "predictionConfidence": f"{prediction.confidence:.2f}"}
    if prediction.is_schedule_hint:
        status["activeScheduleHint"] = prediction.hint_name
    return status


def _load(controller: "ReferenceController", spec: ScalerSpec, config) -> LearningSystem:
    """A scaler's learning system, from its ConfigMap when there is one (once per controller process)."""
    def fresh() -> LearningSystem:
        return LearningSystem(spec.name, spec.namespace, look_ahead_minutes=config.look_ahead_minutes,
                              historical_days=config.historical_data_days, enabled=config.enable_learning,
                              model=controller.model)

    system = fresh()
    stored = controller.store.get("ConfigMap", spec.namespace, LearningSystem.configmap_name(spec.name))
    if stored is not None:
        try:
            system.load_configmap_data(stored.get("data") or {})
            controller.log(f"{spec.namespace}/{spec.name}: loaded learning data from ConfigMap {stored['metadata']['name']}")
        except ValueError as error:
            controller.log(f"{spec.namespace}/{spec.name}: learning data not loaded: {error}")
            system = fresh()
    return system


def _persist(controller: "ReferenceController", scaler: dict, spec: ScalerSpec, system: LearningSystem,
             now: float) -> None:
    name = LearningSystem.configmap_name(spec.name)
    data = system.configmap_data(now)
    existing = controller.store.get("ConfigMap", spec.namespace, name)
    try:
        if existing is None:
            controller.store.create("ConfigMap", _configmap(scaler, spec, name, data, now))
        else:
            existing["data"] = data
            existing["metadata"].setdefault("labels", {}).update(LearningSystem.configmap_labels(spec.name))
            existing["metadata"].setdefault("annotations", {}).update(LearningSystem.configmap_annotations(now))
            existing["metadata"].setdefault("ownerReferences", _owner(scaler))
            controller.store.update("ConfigMap", existing)
    except ApiError as error:
        controller.log(f"{spec.namespace}/{spec.name}: saving learning data failed: {error.message}")


def _configmap(scaler: dict, spec: ScalerSpec, name: str, data: dict, now: float) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": spec.namespace,
                         "labels": LearningSystem.configmap_labels(spec.name),
                         "annotations": LearningSystem.configmap_annotations(now),
                         "ownerReferences": _owner(scaler)},
            "data": data}


def _owner(scaler: dict) -> list[dict]:
    return [{"apiVersion": "scaler.bud.studio/v1alpha1", "kind": "BudAIScaler", "name": scaler["metadata"]["name"],
             "uid": scaler["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]

