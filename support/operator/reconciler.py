"""One reconcile of one BudAIScaler, in the step order of the behaviour catalogue §2.2/§2.4.

Reads come from the informers' caches (the scaler, its namespace's scalers,
pods, the target: what its /scale subresource would say, which is read
directly only for kinds not cached or selectors with expressions); metrics are scraped over HTTP from
the pods; the decision is the injected behaviour's; writes go to the /scale
and status subresources (status only when it changed) and, on a scale or a
Ready transition, a Kubernetes Event.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Callable

from kubernetes.client.exceptions import ApiException

from support.clock import parse_rfc3339, rfc3339
from support.operator import learning, scraping
from support.operator.behaviour import Behaviour, ScalerWindows, set_condition
from support.operator.events import EventRecorder
from support.operator.hpa_path import HpaError, HpaPath
from support.operator.services import NoEndpoint, ServiceResolver
from support.kube.informer import Informer, parse_selector
from support.kube.api import SCALABLE, SCALER, Kind, KubeApi, error_message
from support.reference import gpu
from support.reference.budscaler import Recommendation, ScaleRequest
from support.reference.cost import replica_price
from support.reference.gpu import DcgmReading
from support.reference.pods import PodCounts
from support.reference.policies import ScaleEvents
from support.reference.prediction import look_ahead_minutes
from support.reference.schedule import HintRegistry
from support.reference.scaling_context import ScalingContext
from support.reference.spec import ScalerSpec
from support.reference.status_rules import TargetReplicas, history_entry, target_problem

HPA_STRATEGY = "HPA"
READY_MESSAGE = "BudAIScaler is ready and operating"
STATUS_RETRIES = 5


class ReconcileError(Exception):
    """Ends a reconcile with Ready=False and the given reason."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


@dataclass
class Scale:
    """What the /scale subresource says of a target."""

    replicas: int
    observed: int
    selector: dict[str, str] = field(default_factory=dict)


class Reconciler:
    def __init__(self, api: KubeApi, clock, behaviour: Behaviour, scalers: Informer, pods: Informer,
                 events: EventRecorder, log: Callable[[str], None],
                 targets: Callable[[Kind], Informer | None] = lambda kind: None,
                 services: ServiceResolver | None = None):
        self._api, self._clock, self._behaviour, self._targets = api, clock, behaviour, targets
        self._scalers, self._pods, self._events, self._log = scalers, pods, events, log
        self._services = services
        self._http = scraping.new_http()
        self._windows: dict[tuple[str, str], ScalerWindows] = {}
        self._scale_events: dict[tuple[str, str], ScaleEvents] = {}
        self._predictor = learning.new_predictor()
        # The controller keeps one hint list per process (§5.3, quirk hints-shared-by-name). The reference
        # keeps one per namespace: the sharing shows between the scalers of a scenario, and one scenario's
        # hints do not leak into the next (against a real controller they do, until it restarts).
        self._hints: dict[str, HintRegistry] = {}
        self._unpriced_warned: set[tuple[str, int]] = set()
        self._learning = learning.LearningData(api, behaviour, log)
        self._hpa = HpaPath(api, behaviour.hpa, behaviour.hpa_status, log)

    def close(self) -> None:
        self._http.clear()
        if self._services is not None:
            self._services.close()

    def forget(self, namespace: str, name: str) -> None:
        self._windows.pop((namespace, name), None)
        self._scale_events.pop((namespace, name), None)
        self._hpa.forget(namespace, name)

    def finalize(self, scaler: dict) -> None:
        """Before the finalizer goes (§2.9): a scaler using the HPA strategy deletes its HPA."""
        if ((scaler.get("spec") or {}).get("scalingStrategy")) == HPA_STRATEGY:
            meta = scaler["metadata"]
            self._hpa.delete(meta.get("namespace", ""), meta["name"])

    def reconcile(self, scaler: dict) -> None:
        """One pass over a live scaler that carries the finalizer."""
        meta = scaler["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        model = self._behaviour.model
        status = copy.deepcopy(scaler.get("status") or {})
        now = self._clock.now()
        try:
            spec = ScalerSpec.from_object(scaler)
            self._check(spec, scaler)
            if spec.scaling_strategy == HPA_STRATEGY:
                self._hand_to_hpa(scaler, spec, status)
            else:
                self._hpa.release(spec.namespace, spec.name, model)
                self._scale(scaler, spec, status, now)
            self._behaviour.ready(status, True, "ScalerReady", READY_MESSAGE, rfc3339(now), model)
        except ReconcileError as error:
            self._log(f"{namespace}/{name}: {error.reason}: {error.message}")
            self._behaviour.ready(status, False, error.reason, error.message, rfc3339(now), model)
        self._write_status(scaler, status)

    # -- steps -------------------------------------------------------------------------
    def _check(self, spec: ScalerSpec, scaler: dict) -> None:
        problem = self._behaviour.validate(spec)
        if problem:
            raise ReconcileError("ValidationFailed", problem)
        conflict = self._behaviour.conflict(scaler, self._scalers.list(spec.namespace), self._behaviour.model)
        if conflict:
            raise ReconcileError("ConflictDetected", conflict)
        if spec.scaling_strategy not in self._behaviour.strategies and spec.scaling_strategy != HPA_STRATEGY:
            raise ReconcileError("ReconciliationFailed",
                                 f"scaling strategy {spec.scaling_strategy} is not modelled by the reference controller")

    def _scale(self, scaler: dict, spec: ScalerSpec, status: dict, now: float) -> None:
        behaviour, model = self._behaviour, self._behaviour.model
        scale = self._read_scale(spec)
        current = scale.replicas
        pods = [p for p in self._pods.list(spec.namespace, scale.selector)
                if not p["metadata"].get("deletionTimestamp")]
        collection = scraping.collect(spec, pods, model, self._http, self._api,
                                      behaviour.plan_collection, behaviour.gather_collection,
                                      resolve=self._services.url if self._services is not None else _as_is)
        for metric, error in collection.errors.items():
            self._log(f"{spec.namespace}/{spec.name}: metric {metric}: {error}")
        self._scaling_active(status, collection, now)
        previous_actual = status.get("actualScale", current)
        hints = behaviour.hints_in_force(spec.schedule_hints, self._hints.setdefault(spec.namespace, HintRegistry()),
                                         model)
        prediction = behaviour.predict(self._predictor, hints, spec, collection.snapshots, previous_actual, now,
                                       model)
        reading = self._read_gpus(spec)
        gpu_metrics = behaviour.gpu_metrics(reading, model)
        counts = PodCounts.from_pods(pods)
        request = ScaleRequest(spec=spec, context=ScalingContext.build(spec, spec.annotations, model),
                               current=current, ready=counts.ready, starting=counts.starting,
                               snapshots=collection.snapshots, now=now,
                               last_scale_time=_optional_time(status.get("lastScaleTime")), prediction=prediction,
                               gpu=gpu_metrics, cost=self._cost(scaler, spec, current),
                               scale_events=self._scale_events.setdefault((spec.namespace, spec.name), ScaleEvents()))
        window = self._windows.setdefault((spec.namespace, spec.name), ScalerWindows())
        decision = behaviour.strategies[spec.scaling_strategy](request, model, window)
        note = behaviour.unpriced_note(spec.cost_config, model)
        if note:
            decision = replace(decision, reason=f"{decision.reason} ({note})")
        scaled = decision.replicas != current
        if scaled:
            self._write_scale(spec, decision.replicas)
            request.scale_events.record(now, current, decision.replicas)
            self._log(f"{spec.namespace}/{spec.name}: {decision.reason}")
            self._events.scaled(scaler, current, decision.replicas, decision.reason)
        self._learning.learn(scaler, spec, collection, current, decision, prediction, previous_actual, status, now,
                             gpu.learning_gpu_signals(gpu_metrics))
        _put(status, "predictionStatus", behaviour.prediction_status(
            prediction, hints, now, look_ahead_minutes(spec, model), decision.replicas, model))
        _put(status, "gpuStatus", behaviour.gpu_status(reading, model))
        _put(status, "costStatus", behaviour.cost_status(spec.cost_config, decision.replicas, model))
        target = TargetReplicas(asked=current, made=scale.observed, ready=counts.ready)
        self._record(status, spec, target, decision, scaled, now)

    def _hand_to_hpa(self, scaler: dict, spec: ScalerSpec, status: dict) -> None:
        try:
            pods = self._target_pods(spec, self._read_scale(spec))
        except ReconcileError:
            pods = []           # the HPA path never reads the target; nothing of it runs
        try:
            self._hpa.reconcile(scaler, pods, status, self._behaviour.model)
        except HpaError as error:
            raise ReconcileError("ReconciliationFailed", str(error)) from None

    def _target_pods(self, spec: ScalerSpec, scale: Scale) -> list[dict]:
        return [p for p in self._pods.list(spec.namespace, scale.selector) if not p["metadata"].get("deletionTimestamp")]

    def _scaling_active(self, status: dict, collection: scraping.Collection, now: float) -> None:
        """ScalingActive says whether the scaler could read its metrics (contract; never written as built)."""
        model = self._behaviour.model
        said = self._behaviour.scaling_active(collection.errors, list(collection.snapshots), model)
        if said is not None:
            set_condition(status, "ScalingActive", *said, rfc3339(now), model)

    def _read_gpus(self, spec: ScalerSpec) -> DcgmReading | None:
        """The DCGM exporter's reading for a scaler with gpuConfig.enabled (§5.1); None: GPU step skipped."""
        if spec.gpu_config is None or not spec.gpu_config.enabled:
            return None
        url = gpu.dcgm_url(spec.namespace)
        try:
            if self._services is not None:
                url = self._services.url(url)
        except NoEndpoint as missing:
            code, body = None, str(missing)
        else:
            code, body = scraping.fetch(self._http, url, gpu.TIMEOUT_SECONDS)
        reading = self._behaviour.gpu_reading(code, body)
        if reading is None:
            self._log(f"{spec.namespace}/{spec.name}: GPU metrics not read from {url}: "
                      f"{body if code is None else f'status {code}'}")
        return reading

    def _cost(self, scaler: dict, spec: ScalerSpec, current: int):
        """BudScaler's cost input; a budget that cannot be priced is logged (and, contract, an event)."""
        config, model = spec.cost_config, self._behaviour.model
        if config is not None and config.enabled and replica_price(config) is None:
            self._log(f"{spec.namespace}/{spec.name}: cost: unknown instance type: g5.xlarge")
            note = self._behaviour.unpriced_note(config, model)
            key = (scaler["metadata"].get("uid", ""), scaler["metadata"].get("generation", 0))
            if note and key not in self._unpriced_warned:
                self._unpriced_warned.add(key)
                self._events.emit(scaler, "Warning", "BudgetNotApplied", note)
        return self._behaviour.cost_metrics(config, current, model)

    def _read_scale(self, spec: ScalerSpec) -> Scale:
        target = spec.scale_target_ref
        kind = SCALABLE.get(target.kind)
        if kind is None:
            raise ReconcileError("ReconciliationFailed", target_problem(target.kind, target.name, found=False))
        cached = self._targets(kind)
        if cached is not None:
            obj = cached.get(spec.namespace, target.name)
            if obj is None:
                raise ReconcileError("ReconciliationFailed", target_problem(target.kind, target.name, found=False))
            selector = (obj.get("spec") or {}).get("selector") or {}
            if not selector.get("matchExpressions"):
                return Scale(replicas=(obj.get("spec") or {}).get("replicas", 1),
                             observed=(obj.get("status") or {}).get("replicas", 0),
                             selector=dict(selector.get("matchLabels") or {}))
        try:
            scale = self._api.get(kind, spec.namespace, target.name, "scale")
        except ApiException as error:
            if error.status == 404:
                raise ReconcileError("ReconciliationFailed", target_problem(target.kind, target.name, False)) from None
            raise ReconcileError("ReconciliationFailed", f"scaling failed: failed to get scale: "
                                                         f"{error_message(error)}") from None
        observed = scale.get("status") or {}
        return Scale(replicas=(scale.get("spec") or {}).get("replicas", 0), observed=observed.get("replicas", 0),
                     selector=parse_selector(observed.get("selector", "")))

    def _write_scale(self, spec: ScalerSpec, replicas: int) -> None:
        target = spec.scale_target_ref
        try:
            self._api.patch(SCALABLE[target.kind], spec.namespace, target.name, {"spec": {"replicas": replicas}},
                            sub="scale")
        except ApiException as error:
            raise ReconcileError("ReconciliationFailed", f"scaling failed: failed to set scale: "
                                                         f"{error_message(error)}") from None

    def _record(self, status: dict, spec: ScalerSpec, target: TargetReplicas, decision: Recommendation,
                scaled: bool, now: float) -> None:
        status["desiredScale"] = decision.replicas
        status["actualScale"] = self._behaviour.actual_scale(target, decision.replicas, self._behaviour.model)
        if scaled:
            status["lastScaleTime"] = rfc3339(now)
            entry = history_entry(now, target.asked, decision.replicas, decision.reason, spec.scaling_strategy)
            status["scalingHistory"] = self._behaviour.history(status.get("scalingHistory"), entry)

    # -- status ------------------------------------------------------------------------
    def _write_status(self, scaler: dict, status: dict) -> None:
        """PUT the status subresource when it changed; on 409 read the scaler again and retry."""
        wanted = {k: v for k, v in status.items() if v not in (None, 0) or k == "conditions"}
        before = scaler.get("status") or {}
        if wanted == before:
            return
        self._events.ready_changed(scaler, _ready(before), _ready(wanted))
        meta = scaler["metadata"]
        namespace, name = meta.get("namespace"), meta["name"]
        obj = scaler
        for _ in range(STATUS_RETRIES):
            body = {**obj, "status": wanted}
            try:
                self._api.replace(SCALER, namespace, name, body, sub="status")
                return
            except ApiException as error:
                if error.status == 404:
                    return
                if error.status != 409:
                    self._log(f"{namespace}/{name}: status not written: {error_message(error)}")
                    return
            obj = self._api.get_or_none(SCALER, namespace, name)
            if obj is None:
                return
        self._log(f"{namespace}/{name}: status not written: still conflicting after {STATUS_RETRIES} tries")


def _put(status: dict, key: str, value: dict | None) -> None:
    """Write a status block, or leave it out when there is nothing to say."""
    if value is None:
        status.pop(key, None)
    else:
        status[key] = value


def _as_is(url: str) -> str:
    return url


def _ready(status: dict) -> dict | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)


def _optional_time(text: str | None) -> float | None:
    return parse_rfc3339(text) if text else None
