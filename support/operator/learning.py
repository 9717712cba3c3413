"""The operator's learning step (§2.4 step 13, §5.5); the prediction is `Behaviour.predict`.

Glue between one reconcile and the pure reference classes: record the tick in the scaler's learning system,
verify matured predictions, keep learning data in the scaler's ConfigMap (read
once per process, saved every 5 minutes) and fill `status.learningStatus`.
"""

from __future__ import annotations

from typing import Callable, Mapping

from kubernetes.client.exceptions import ApiException

from support.operator import scraping
from support.operator.behaviour import Behaviour
from support.kube.api import CONFIGMAP, KubeApi, error_message
from support.reference.budscaler import PredictionData, Recommendation
from support.reference.learning.system import LearningSystem, LLMMetrics
from support.reference.predictor import TimeSeriesPredictor
from support.reference.spec import ScalerSpec


class LearningData:
    """Each scaler's learning system, loaded from and saved to its ConfigMap through the API."""

    def __init__(self, api: KubeApi, behaviour: Behaviour, log: Callable[[str], None]):
        self._api, self._behaviour, self._log = api, behaviour, log
        self._systems: dict[tuple[str, str], LearningSystem] = {}

    def forget(self, namespace: str, name: str) -> None:
        self._systems.pop((namespace, name), None)

    def learn(self, scaler: dict, spec: ScalerSpec, collection: scraping.Collection, current: int,
              decision: Recommendation, prediction: PredictionData | None, previous_actual: int,
              status: dict, now: float, gpu_signals: Mapping[str, float] | None = None) -> None:
        """Record this tick, verify matured predictions, persist, and write the learning status."""
        config = spec.prediction_config
        if config is None or not config.enable_learning:
            return
        system = self._systems.get((spec.namespace, spec.name))
        if system is None:
            system = self._systems[(spec.namespace, spec.name)] = self._load(spec)
        metrics = {name: snap.average for name, snap in collection.snapshots.items()}
        predicted = prediction.predicted_replicas if prediction is not None else decision.replicas
        system.record(now, metrics, self._llm_metrics(collection, gpu_signals or {}), current, decision.replicas, predicted)
        system.verify(now, previous_actual)
        if system.should_persist(now):
            self._persist(scaler, spec, system, now)
        status["learningStatus"] = system.status(now)

    def _llm_metrics(self, collection: scraping.Collection, gpu_signals: Mapping[str, float]) -> LLMMetrics:
        """The scraped vLLM signals (zero as built) and the GPU step's utilisations (copied in both)."""
        if self._behaviour.model.has("llm-metrics-zero"):
            return LLMMetrics(**gpu_signals)
        return LLMMetrics(**scraping.llm_metrics(collection.bodies), **gpu_signals)

    def _fresh(self, spec: ScalerSpec) -> LearningSystem:
        config = spec.prediction_config
        return self._behaviour.learning_system(spec.name, spec.namespace, look_ahead_minutes=config.look_ahead_minutes,
                                               historical_days=config.historical_data_days,
                                               enabled=config.enable_learning, model=self._behaviour.model)

    def _load(self, spec: ScalerSpec) -> LearningSystem:
        """A scaler's learning system, from its ConfigMap when there is one (once per process)."""
        system = self._fresh(spec)
        name = LearningSystem.configmap_name(spec.name)
        try:
            stored = self._api.get_or_none(CONFIGMAP, spec.namespace, name)
        except ApiException as error:
            self._log(f"{spec.namespace}/{spec.name}: learning data not read: {error_message(error)}")
            return system
        if stored is not None:
            try:
                system.load_configmap_data(stored.get("data") or {})
                self._log(f"{spec.namespace}/{spec.name}: loaded learning data from ConfigMap {name}")
            except ValueError as error:
                self._log(f"{spec.namespace}/{spec.name}: learning data not loaded: {error}")
                system = self._fresh(spec)
        return system

    def _persist(self, scaler: dict, spec: ScalerSpec, system: LearningSystem, now: float) -> None:
        name = LearningSystem.configmap_name(spec.name)
        data = system.configmap_data(now)
        try:
            existing = self._api.get_or_none(CONFIGMAP, spec.namespace, name)
            if existing is None:
                self._api.create(CONFIGMAP, spec.namespace, _configmap(scaler, spec, name, data, now))
                return
            meta = existing["metadata"]
            existing["data"] = data
            meta.setdefault("labels", {}).update(LearningSystem.configmap_labels(spec.name))
            meta.setdefault("annotations", {}).update(LearningSystem.configmap_annotations(now))
            meta.setdefault("ownerReferences", _owner(scaler))
            self._api.replace(CONFIGMAP, spec.namespace, name, existing)
        except ApiException as error:
            self._log(f"{spec.namespace}/{spec.name}: saving learning data failed: {error_message(error)}")


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


def new_predictor() -> TimeSeriesPredictor:
    return TimeSeriesPredictor()
