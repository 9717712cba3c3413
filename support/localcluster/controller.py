"""The reference BudAIScaler controller, as the embedded cluster runs it.

It is the image `ghcr.io/budecosystem/budaiscaler` of the embedded cluster: the
controller Deployment in `budaiscaler-system` runs it, so deleting that pod
restarts the controller and drops its in-memory state, exactly as on a real
cluster. It reconciles every BudAIScaler on the controller's 10 s cadence
(and at once on create or spec change), in the step order of the behaviour
catalogue §2.2/§2.4: read the target, list pods, scrape metrics over HTTP,
decide with the reference model, write the target's replicas, learn, write status.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field
from typing import Callable

import httpx

from support.clock import parse_rfc3339, rfc3339
from support.localcluster import learning_loop, scraping
from support.localcluster.containers import ContainerContext, register_image
from support.localcluster.store import DELETED, ApiError, Store
from support.reference import budscaler, kpa
from support.reference.budscaler import Recommendation, ScaleRequest
from support.reference.learning.system import LearningSystem
from support.reference.model import Model, model_named
from support.reference.pods import PodCounts
from support.reference.scaling_context import ScalingContext
from support.reference.spec import ScalerSpec, validate
from support.reference.stabilization import RecommendationWindow

IMAGE = "ghcr.io/budecosystem/budaiscaler"
RECONCILE_INTERVAL = 10.0
HISTORY_LIMIT = 10
SCALABLE_KINDS = ("Deployment",)
READY_MESSAGE = "BudAIScaler is ready and operating"
STRATEGIES = {"BudScaler": budscaler.recommend, "KPA": kpa.recommend}  # HPA is not modelled


class ReconcileError(Exception):
    """Ends a reconcile with Ready=False and the given reason."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


@dataclass
class _Memory:
    """What the controller process remembers about one scaler (lost on restart)."""

    window: RecommendationWindow = field(default_factory=RecommendationWindow)
    learning: LearningSystem | None = None
    generation: int = 0
    timer: object | None = None


class ReferenceController:
    def __init__(self, store: Store, clock, model: Model, log: Callable[[str], None] = lambda line: None):
        self._store, self._clock, self._model, self._log = store, clock, model, log
        self._memory: dict[tuple[str, str], _Memory] = {}
        self._lock = threading.Lock()
        self._http = httpx.Client(trust_env=False)
        self._predictor = learning_loop.new_predictor()
        self._running = False

    # -- lifecycle --------------------------------------------------------------
    def start(self) -> None:
        self._running = True
        self._store.subscribe(self._on_event)
        self._log(f"reference controller started (model={self._model.name})")
        for scaler in self._store.list("BudAIScaler"):
            self._schedule(_key(scaler), 0.0)

    def stop(self) -> None:
        self._running = False
        self._store.unsubscribe(self._on_event)
        with self._lock:
            for memory in self._memory.values():
                if memory.timer is not None:
                    memory.timer.cancel()
            self._memory.clear()
        self._http.close()

    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        if kind != "BudAIScaler" or not self._running:
            return
        key = _key(obj)
        if event == DELETED:
            with self._lock:
                memory = self._memory.pop(key, None)
            if memory and memory.timer is not None:
                memory.timer.cancel()
            return
        generation = obj["metadata"].get("generation", 1)
        with self._lock:
            known = self._memory.get(key)
            changed = known is None or known.generation != generation
        if changed:  # GenerationChangedPredicate: status-only writes do not trigger a reconcile
            self._schedule(key, 0.0)

    def _schedule(self, key: tuple[str, str], delay: float) -> None:
        with self._lock:
            memory = self._memory.setdefault(key, _Memory())
            if memory.timer is not None:
                memory.timer.cancel()
            memory.timer = self._clock.call_later(delay, lambda: self._tick(key))

    def _tick(self, key: tuple[str, str]) -> None:
        if not self._running:
            return
        try:
            exists = self.reconcile(*key)
        except Exception:  # a bug in the model must be visible, not kill the loop
            self._log(f"reconcile {key[0]}/{key[1]} crashed:\n{traceback.format_exc()}")
            exists = True
        if exists and self._running:
            self._schedule(key, RECONCILE_INTERVAL)

    # -- one reconcile ----------------------------------------------------------
    def reconcile(self, namespace: str, name: str) -> bool:
        """One pass over one scaler; False when the scaler is gone."""
        scaler = self._store.get("BudAIScaler", namespace, name)
        if scaler is None or scaler["metadata"].get("deletionTimestamp"):
            return False
        memory = self._memory.setdefault((namespace, name), _Memory())
        memory.generation = scaler["metadata"].get("generation", 1)
        status = dict(scaler.get("status") or {})
        now = self._clock.now()
        try:
            spec = ScalerSpec.from_object(scaler)
            self._check(spec, namespace, name)
            self._scale(scaler, spec, status, memory, now)
            _set_ready(status, True, "ScalerReady", READY_MESSAGE, now, self._model)
        except ReconcileError as error:
            self._log(f"{namespace}/{name}: {error.reason}: {error.message}")
            _set_ready(status, False, error.reason, error.message, now, self._model)
        self._write_status(scaler, status)
        return True

    def _check(self, spec: ScalerSpec, namespace: str, name: str) -> None:
        problem = validate(spec)
        if problem:
            raise ReconcileError("ValidationFailed", problem)
        target = spec.scale_target_ref
        for other in self._store.list("BudAIScaler", namespace):
            ref = (other.get("spec") or {}).get("scaleTargetRef") or {}
            if other["metadata"]["name"] != name and ref.get("kind") == target.kind and ref.get("name") == target.name:
                raise ReconcileError("ConflictDetected", f"conflict: BudAIScaler {other['metadata']['name']} "
                                                         f"is already targeting {target.kind}/{target.name}")
        if spec.scaling_strategy not in STRATEGIES:
            raise ReconcileError("ReconciliationFailed",
                                 f"scaling strategy {spec.scaling_strategy} is not modelled by the embedded cluster")

    def _scale(self, scaler: dict, spec: ScalerSpec, status: dict, memory: _Memory, now: float) -> None:
        namespace = spec.namespace
        deployment = self._target(spec)
        current = deployment["spec"].get("replicas", 1)
        pods = self._pods(namespace, deployment)
        collection = scraping.collect(spec, pods, self._model, self._http)
        for metric, error in collection.errors.items():
            self._log(f"{namespace}/{spec.name}: metric {metric}: {error}")
        previous_actual = status.get("actualScale", current)
        prediction = learning_loop.predict(self._predictor, spec, collection.snapshots, previous_actual,
                                           now, self._model)
        counts = PodCounts.from_pods(pods)
        request = ScaleRequest(spec=spec, context=ScalingContext.build(spec, spec.annotations, self._model),
                               current=current, ready=counts.ready, starting=counts.starting,
                               snapshots=collection.snapshots, now=now,
                               last_scale_time=_optional_time(status.get("lastScaleTime")), prediction=prediction)
        decision = STRATEGIES[spec.scaling_strategy](request, self._model, memory.window)
        scaled = decision.replicas != current
        if scaled:
            self._write_replicas(namespace, deployment["metadata"]["name"], decision.replicas)
            self._log(f"{namespace}/{spec.name}: {decision.reason}")
        learning_loop.learn(self, memory, scaler, spec, collection, current, decision, prediction,
                            previous_actual, status, now)
        learning_loop.write_prediction_status(status, prediction, self._model)
        self._record(status, spec, current, decision, scaled, now)

    def _target(self, spec: ScalerSpec) -> dict:
        target = spec.scale_target_ref
        if target.kind not in SCALABLE_KINDS:
            raise ReconcileError("ReconciliationFailed", f"scaling failed: failed to get scale: "
                                                         f"generic scale not implemented for {target.kind}/{target.name}")
        deployment = self._store.get("Deployment", spec.namespace, target.name)
        if deployment is None:
            raise ReconcileError("ReconciliationFailed", "scaling failed: failed to get scale: failed to get deployment: "
                                                         f'deployments.apps "{target.name}" not found')
        return deployment

    def _pods(self, namespace: str, deployment: dict) -> list[dict]:
        selector = deployment["spec"].get("selector", {}).get("matchLabels", {})
        pods = self._store.list("Pod", namespace, labels=lambda labels: all(labels.get(k) == v for k, v in selector.items()))
        return [p for p in pods if not p["metadata"].get("deletionTimestamp")]

    def _write_replicas(self, namespace: str, name: str, replicas: int) -> None:
        deployment = self._store.get("Deployment", namespace, name)
        if deployment is None or deployment["spec"].get("replicas") == replicas:
            return
        deployment["spec"]["replicas"] = replicas
        try:
            self._store.update("Deployment", deployment)  # a full object update, as the controller does (§2.6)
        except ApiError as error:
            raise ReconcileError("ReconciliationFailed", f"scaling failed: failed to set scale: {error.message}") from None

    def _record(self, status: dict, spec: ScalerSpec, current: int, decision: Recommendation,
                scaled: bool, now: float) -> None:
        status["desiredScale"] = decision.replicas
        if self._model.has("actual-scale-is-recommendation"):
            status["actualScale"] = decision.replicas
        else:
            deployment = self._store.get("Deployment", spec.namespace, spec.scale_target_ref.name) or {}
            status["actualScale"] = (deployment.get("status") or {}).get("replicas", current)
        if scaled:
            status["lastScaleTime"] = rfc3339(now)
            entry = {"timestamp": rfc3339(now), "previousScale": current, "newScale": decision.replicas,
                     "reason": decision.reason, "algorithm": spec.scaling_strategy, "success": True}
            status["scalingHistory"] = (list(status.get("scalingHistory") or []) + [entry])[-HISTORY_LIMIT:]

    def _write_status(self, scaler: dict, status: dict) -> None:
        latest = self._store.get("BudAIScaler", scaler["metadata"].get("namespace"), scaler["metadata"]["name"])
        if latest is None:
            return
        latest["status"] = {k: v for k, v in status.items() if v not in (None, 0) or k == "conditions"}
        self._store.update("BudAIScaler", latest, status_only=True)

    # -- used by the learning loop ----------------------------------------------------
    @property
    def store(self) -> Store:
        return self._store

    @property
    def model(self) -> Model:
        return self._model

    def log(self, line: str) -> None:
        self._log(line)


def _set_ready(status: dict, ok: bool, reason: str, message: str, now: float, model: Model) -> None:
    """The Ready condition rule of §2.8; the contract also refreshes reason and message."""
    wanted = "True" if ok else "False"
    conditions = [dict(c) for c in status.get("conditions") or []]
    existing = next((c for c in conditions if c.get("type") == "Ready"), None)
    fresh = {"type": "Ready", "status": wanted, "reason": reason, "message": message,
             "lastTransitionTime": rfc3339(now)}
    if existing is None:
        conditions.append(fresh)
    elif existing.get("status") != wanted:
        existing.clear()
        existing.update(fresh)
    elif not model.has("ready-reason-not-refreshed"):
        existing.update(reason=reason, message=message)
    status["conditions"] = conditions


def _key(obj: dict) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def _optional_time(text: str | None) -> float | None:
    return parse_rfc3339(text) if text else None


class _RunningController:
    def __init__(self, controller: ReferenceController):
        self._controller = controller

    def stop(self) -> None:
        self._controller.stop()


def _run(ctx: ContainerContext) -> _RunningController:
    model_arg = next((a.split("=", 1)[1] for a in ctx.args if a.startswith("--model=")), "contract")
    controller = ReferenceController(ctx.cluster.store, ctx.clock, model_named(model_arg), ctx.log)
    controller.start()
    return _RunningController(controller)


register_image(IMAGE, _run)
