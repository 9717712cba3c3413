"""Deliberately broken reference operators: each breaks one promise of BudAIScaler.

The spec is only worth something if it fails when BudAIScaler misbehaves. Each
mutant here is built through the operator's seams: a `Behaviour` whose strategy
functions, validation, Ready rule, learning factory or prediction hooks are
wrapped or replaced, or an API client that drops one kind of write. Nothing
patches a module. tests/test_spec_catches_mutants.py runs features against
each and checks which scenarios catch it. The mutants live in tests/, never in
support/: the shipped operator has no fault switches.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from typing import Callable

from support.kube.api import KubeApi
from support.localcluster.node import images
from support.localcluster.node.containers import ContainerContext, Runner, RunningContainer
from support.operator.operator import FINALIZER
from support.operator.behaviour import Behaviour, Strategy, set_ready
from support.reference.budscaler import Recommendation, ScaleRequest
from support.reference.learning.accuracy_tracker import AccuracyTracker
from support.reference.learning.patterns import PatternDetector
from support.reference.learning.seasonal import SeasonalManager
from support.reference.learning.system import RING_CAPACITY, LearningSystem, _verify_one
from support.reference.metrics import snapshot
from support.reference.model import Model
from support.reference.scaling_context import ScalingContext


@dataclass(frozen=True)
class Mutant:
    """How to build the broken operator: a change of behaviour and, for write faults, of its API client;
    or a broken build of an emulated image (image prefix -> runner), the operator left whole."""

    behaviour: Callable[[Behaviour], Behaviour] = lambda behaviour: behaviour
    api: Callable[[object], KubeApi] = KubeApi
    images: tuple[tuple[str, Runner], ...] = ()


# -- strategy wrappers ----------------------------------------------------------------------

def _each_strategy(wrap: Callable[[Strategy], Strategy]) -> Callable[[Behaviour], Behaviour]:
    def change(behaviour: Behaviour) -> Behaviour:
        return dataclasses.replace(behaviour, strategies={n: wrap(s) for n, s in behaviour.strategies.items()})
    return change


def _with_context(**changes) -> Callable[[Behaviour], Behaviour]:
    """The strategy decides as if the scaler's settings said `changes` (e.g. no max replicas)."""
    def wrap(strategy: Strategy) -> Strategy:
        def broken(request: ScaleRequest, model, window) -> Recommendation:
            context = dataclasses.replace(request.context, **changes)
            return strategy(dataclasses.replace(request, context=context), model, window)
        return broken
    return _each_strategy(wrap)


def _bounded(direction: Callable[[int, int], int]) -> Callable[[Behaviour], Behaviour]:
    """The recommendation, then held at the current replicas in one direction."""
    def wrap(strategy: Strategy) -> Strategy:
        def broken(request: ScaleRequest, model, window) -> Recommendation:
            decision = strategy(request, model, window)
            return dataclasses.replace(decision, replicas=direction(decision.replicas, request.current))
        return broken
    return _each_strategy(wrap)


def _select_inverted(strategy: Strategy) -> Strategy:
    """selectPolicy Min read as Max and Max as Min, in both directions."""
    swap = {"Min": "Max", "Max": "Min"}

    def broken(request: ScaleRequest, model, window) -> Recommendation:
        ctx = request.context
        context = dataclasses.replace(ctx, up_select_policy=swap.get(ctx.up_select_policy, ctx.up_select_policy),
                                      down_select_policy=swap.get(ctx.down_select_policy, ctx.down_select_policy))
        return strategy(dataclasses.replace(request, context=context), model, window)
    return broken


def _trust_any_prediction(strategy: Strategy) -> Strategy:
    def broken(request: ScaleRequest, model, window) -> Recommendation:
        decision = strategy(request, model, window)
        prediction, ctx = request.prediction, request.context
        if prediction is None or prediction.is_schedule_hint or prediction.predicted_replicas <= 0:
            return decision
        trusted = min(max(prediction.predicted_replicas, ctx.min_replicas), ctx.max_replicas)
        return dataclasses.replace(decision, replicas=trusted)
    return broken


def _as_built_in(quirk: str) -> Callable[[Behaviour], Behaviour]:
    """The operator behaves as the code does in one respect: the model with `quirk` switched on."""
    return lambda behaviour: behaviour.with_model(Model(behaviour.model.name, behaviour.model.quirks | {quirk}))


# -- learning parts -------------------------------------------------------------------------

class _BlindDetector(PatternDetector):
    def detect(self, now, llm):
        return self.current


class _SteadyConfidence(PatternDetector):
    """Detects the pattern but keeps the confidence steady state reports."""

    def detect(self, now, llm):
        pattern = super().detect(now, llm)
        self.confidence = 0.5
        return pattern


class _NoSeasonalUpdates(SeasonalManager):
    def update(self, metric, value, ts):
        return None


class _InvertedDirections(AccuracyTracker):
    def direction_accuracy(self) -> float:
        return 1.0 - super().direction_accuracy()


class _MapeOverPredicted(AccuracyTracker):
    @staticmethod
    def percent_error(predicted: float, actual: float) -> float:
        return abs(predicted - actual) / predicted * 100 if predicted else 0.0


def _learning_with(seasonal=None, detector=None, tracker=None, **methods) -> Callable[[Behaviour], Behaviour]:
    """A learning system whose parts are of the given (broken) classes, also after a reload."""
    parts = {"seasonal": seasonal, "detector": detector, "tracker": tracker}

    class Broken(LearningSystem):
        def _fresh_state(self) -> None:
            super()._fresh_state()
            self._break()

        def load_configmap_data(self, data) -> None:
            super().load_configmap_data(data)
            self._break()

        def _break(self) -> None:
            for name, cls in parts.items():
                if cls is not None:
                    getattr(self, name).__class__ = cls

    for name, method in methods.items():
        setattr(Broken, name, method)
    return lambda behaviour: dataclasses.replace(behaviour, learning_system=Broken)


def _verify_never_calibrating(self, now, actual) -> int:
    """LearningSystem.verify without its calibration step."""
    if not self.enabled:
        return 0
    due = [p for p in self.pending if now >= p.verify_at]
    self.pending = deque((p for p in self.pending if now < p.verify_at), maxlen=RING_CAPACITY)
    for record in due:
        self._account(_verify_one(record, actual))
    if due:
        self.dirty = True
    return len(due)


def _status_without_configmap_name(self, now) -> dict:
    """The learning status without the name of the ConfigMap that keeps the data."""
    status = LearningSystem.status(self, now)
    status.pop("configMapName", None)
    return status


def _forget_on_restart(self, data) -> None:
    self._fresh_state()


# -- GPU, cost, hints, prediction ---------------------------------------------------------------

def _gpu_inverted(gpu_metrics):
    """The GPU step sees the room left (100 - utilisation), so it raises on idle GPUs, not busy ones."""
    def broken(reading, model):
        metrics = gpu_metrics(reading, model)
        if metrics is None:
            return None
        return dataclasses.replace(metrics, memory_utilization=100 - metrics.memory_utilization,
                                   compute_utilization=100 - metrics.compute_utilization)
    return broken


def _on_demand_always(cost_metrics):
    """Every replica priced on demand, whatever preferSpotInstances says."""
    def broken(config, current, model):
        if config is not None:
            config = dataclasses.replace(config, prefer_spot_instances=False)
        return cost_metrics(config, current, model)
    return broken


def _hours_late(hints_in_force):
    """Every hint's cron read one hour east of UTC: its window opens and closes an hour early in UTC."""
    def broken(own, registry, model):
        return [dataclasses.replace(h, cron_expression="CRON_TZ=Etc/GMT-1 " + h.cron_expression.split(" ", 1)[1]
                                    if h.cron_expression.startswith(("CRON_TZ=", "TZ=")) else
                                    "CRON_TZ=Etc/GMT-1 " + h.cron_expression)
                for h in hints_in_force(own, registry, model)]
    return broken


def _constant_prediction(predict):
    """The predictor always says the scaler's minimum replicas, whatever the load (hints still apply)."""
    def broken(predictor, hints, spec, snapshots, previous_actual, now, model):
        data = predict(predictor, hints, spec, snapshots, previous_actual, now, model)
        if data is None or data.is_schedule_hint:
            return data
        return dataclasses.replace(data, predicted_replicas=max(1, spec.min_replicas))
    return broken


def _prediction_unheeded(strategy: Strategy) -> Strategy:
    """BudScaler never sees the time-series prediction (schedule hints still reach it)."""
    def broken(request: ScaleRequest, model, window) -> Recommendation:
        prediction = request.prediction
        if prediction is not None and not prediction.is_schedule_hint:
            request = dataclasses.replace(request, prediction=None)
        return strategy(request, model, window)
    return broken


def _prediction_trusted_outright(strategy: Strategy) -> Strategy:
    """A confident prediction replaces the load's recommendation instead of being blended in (weight 1)."""
    def broken(request: ScaleRequest, model, window) -> Recommendation:
        decision = strategy(request, model, window)
        prediction, ctx = request.prediction, request.context
        if prediction is None or prediction.is_schedule_hint or not prediction.confidence >= 0.7:
            return decision
        trusted = min(max(prediction.predicted_replicas, ctx.min_replicas), ctx.max_replicas)
        return dataclasses.replace(decision, replicas=trusted)
    return broken


def _with(field: str, wrap) -> Callable[[Behaviour], Behaviour]:
    return lambda behaviour: dataclasses.replace(behaviour, **{field: wrap(getattr(behaviour, field))})


# -- API clients that drop a write ----------------------------------------------------------

class _NoScaleWrites(KubeApi):
    def patch(self, kind, namespace, name, patch, *, sub=None, **options):
        if sub == "scale":
            return {}
        return super().patch(kind, namespace, name, patch, sub=sub, **options)


class _StatefulSetsNotScaled(KubeApi):
    """Reads a StatefulSet's scale but never writes it (as a controller that scales only Deployments)."""

    def patch(self, kind, namespace, name, patch, *, sub=None, **options):
        if sub == "scale" and kind.kind == "StatefulSet":
            return {}
        return super().patch(kind, namespace, name, patch, sub=sub, **options)


class _KeepsFinalizer(KubeApi):
    """Never takes its finalizer off a scaler, so a deleted scaler stays Terminating."""

    def patch(self, kind, namespace, name, patch, *, sub=None, **options):
        finalizers = ((patch or {}).get("metadata") or {}).get("finalizers") if isinstance(patch, dict) else None
        if kind.kind == "BudAIScaler" and finalizers is not None and FINALIZER not in finalizers:
            return {}
        return super().patch(kind, namespace, name, patch, sub=sub, **options)


class _OrphanConfigMaps(KubeApi):
    """Creates its ConfigMaps without an owner, so nothing deletes them with the scaler."""

    def create(self, kind, namespace, obj):
        if kind.kind == "ConfigMap":
            obj = {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "ownerReferences"}}
        return super().create(kind, namespace, obj)


class _HpaNeverUpdated(KubeApi):
    """Creates the scaler's HPA but never writes it again: the HPA keeps the scaler's first settings."""

    def replace(self, kind, namespace, name, obj, sub=None):
        if kind.kind == "HorizontalPodAutoscaler":
            return self.get(kind, namespace, name)
        return super().replace(kind, namespace, name, obj, sub=sub)


class _HpaLeftBehind(KubeApi):
    """Makes the scaler's HPA without an owner and never deletes it."""

    def create(self, kind, namespace, obj):
        if kind.kind == "HorizontalPodAutoscaler":
            obj = {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "ownerReferences"}}
        return super().create(kind, namespace, obj)

    def delete(self, kind, namespace, name):
        if kind.kind != "HorizontalPodAutoscaler":
            super().delete(kind, namespace, name)


def _after_planning(change: Callable[[list], list]) -> Callable[[Behaviour], Behaviour]:
    """The controller's collection plans (one a metric source), replaced by `change(plans)` before it reads."""
    def wrap(behaviour: Behaviour) -> Behaviour:
        plan = behaviour.plan_collection

        def broken(spec, namespace, pods, model):
            return change(plan(spec, namespace, pods, model))
        return dataclasses.replace(behaviour, plan_collection=broken)
    return wrap


def _after_gathering(change: Callable[[list, object], None]) -> Callable[[Behaviour], Behaviour]:
    """What the controller gathered, changed in place by `change(plans, result)` before it decides."""
    def wrap(behaviour: Behaviour) -> Behaviour:
        gather = behaviour.gather_collection

        def broken(plans, replies, pods, model):
            result = gather(plans, replies, pods, model)
            change(plans, result)
            return result
        return dataclasses.replace(behaviour, gather_collection=broken)
    return wrap


def _only_the_first_source(plans, result) -> None:
    """Only the first metric source counts; the others are read and dropped."""
    first = plans[0].source.target_metric if plans else None
    result.snapshots = {m: s for m, s in result.snapshots.items() if m == first}


def _source_kind_unread(kind: str) -> Callable[[Behaviour], Behaviour]:
    """Sources of one type are never read (each reports an error instead)."""
    return _after_planning(lambda plans: [
        dataclasses.replace(p, fetches=(), outcome=f"mutant: {kind} sources unread")
        if p.source.metric_source_type == kind else p for p in plans])


WAITING, RUNNING = "vllm:num_requests_waiting", "vllm:num_requests_running"


def _with_snapshots(change: Callable[[dict], None]) -> Callable[[Behaviour], Behaviour]:
    """The metrics the controller gathered, changed by `change(snapshots by metric)` before it decides."""
    return _after_gathering(lambda plans, result: change(result.snapshots))


def _queue_dropped(snapshots: dict) -> None:
    snapshots.pop(WAITING, None)


def _running_for_waiting(snapshots: dict) -> None:
    if RUNNING in snapshots and WAITING in snapshots:
        snapshots[WAITING] = snapshots[RUNNING]


class _QueueHidden:
    """The request network as a simulator that never reports a waiting request sees it."""

    def __init__(self, clients):
        self._clients = clients

    def start_clients(self, *args, **kwargs):
        return self._clients.start_clients(*args, **kwargs)

    def metrics(self, pod: str):
        reading = self._clients.metrics(pod)
        return reading and dataclasses.replace(reading, waiting=0)


def _simulator_hiding_the_queue(ctx: ContainerContext) -> RunningContainer:
    if ctx.network is not None:
        ctx.network = _QueueHidden(ctx.network)
    return images.run_inference_sim(ctx)
def _annotations_ignored(strategy: Strategy) -> Strategy:
    """The scaler's annotations are not read: the strategy decides on the spec alone."""
    def broken(request: ScaleRequest, model, window) -> Recommendation:
        context = ScalingContext.build(request.spec, {}, model)
        return strategy(dataclasses.replace(request, context=context), model, window)
    return broken


def _unready_pods_counted(behaviour: Behaviour) -> Behaviour:
    """Every running pod is read, ready or not (a pod still starting counts as serving)."""
    plan = behaviour.plan_collection

    def as_ready(pod: dict) -> dict:
        status = dict(pod.get("status") or {})
        status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "Ready"] + \
            [{"type": "Ready", "status": "True"}]
        return {**pod, "status": status}

    def broken(spec, namespace, pods, model):
        return plan(spec, namespace, [as_ready(p) for p in pods], model)
    return dataclasses.replace(behaviour, plan_collection=broken)


def _changed_hpa(change: Callable[[dict], None]) -> Callable[[Behaviour], Behaviour]:
    """The HPA the controller makes for the scaler, changed in place by `change(hpa)` before it is written."""
    def wrap(behaviour: Behaviour) -> Behaviour:
        build = behaviour.hpa

        def broken(scaler):
            hpa = build(scaler)
            change(hpa)
            return hpa
        return dataclasses.replace(behaviour, hpa=broken)
    return wrap


def _without_tolerance(hpa: dict) -> None:
    """The scaler's HPA is told to scale on any difference from the target: its tolerance set to 0."""
    behavior = hpa["spec"].get("behavior") or {}
    hpa["spec"]["behavior"] = {direction: {**(behavior.get(direction) or {}), "tolerance": "0"}
                               for direction in ("scaleUp", "scaleDown")}


def _without_scale_up_policies(hpa: dict) -> None:
    """The scaler's HPA gets none of the scaler's scale-up policies: the HPA's defaults apply."""
    scale_up = (hpa["spec"].get("behavior") or {}).get("scaleUp")
    if scale_up:
        scale_up.pop("policies", None)


def _read_as_zero(result, metric: str) -> None:
    result.snapshots[metric] = snapshot([0.0])
    result.errors.pop(metric, None)


def _without_scale_down_window(hpa: dict) -> None:
    """The scaler's HPA gets a scale-down window of 0: it scales down on the first low reading."""
    behavior = hpa["spec"].setdefault("behavior", {})
    behavior["scaleDown"] = {**(behavior.get("scaleDown") or {}), "stabilizationWindowSeconds": 0}


def _without_external_metrics(hpa: dict) -> None:
    """The scaler's HPA gets none of the scaler's external sources (as it gets no pod or prometheus ones)."""
    hpa["spec"]["metrics"] = [m for m in hpa["spec"].get("metrics") or [] if m.get("type") != "External"]


def _kind_read_as_zero(kind: str) -> Callable[[Behaviour], Behaviour]:
    """Sources of one type read 0 on every pod, whatever the metrics API says."""
    def change(plans, result) -> None:
        for source_plan in plans:
            if source_plan.source.metric_source_type == kind:
                _read_as_zero(result, source_plan.source.target_metric)
    return _after_gathering(change)


def _memory_read_as_zero(snapshots: dict) -> None:
    if "memory" in snapshots:
        snapshots["memory"] = snapshot([0.0])


def _never_ready(status, ok, reason, message, now_text, model):
    set_ready(status, False, "ReconciliationFailed", "mutant: never ready", now_text, model)


def _always_ready(status, ok, reason, message, now_text, model):
    set_ready(status, True, "ScalerReady", "BudAIScaler is ready and operating", now_text, model)


def _failures_read_as_zero(plans, result) -> None:
    """A source that could not be read counts as reading 0 (and no longer as an error)."""
    for metric in list(result.errors):
        _read_as_zero(result, metric)


MUTANTS: dict[str, Mutant] = {
    "ignore-max-replicas": Mutant(_with_context(max_replicas=10_000)),
    "ignore-min-replicas": Mutant(_with_context(min_replicas=0)),
    "skip-scale-down-window": Mutant(_with_context(down_stabilization_seconds=0)),
    "never-scale-up": Mutant(_bounded(min)),
    "never-scale-down": Mutant(_bounded(max)),
    "never-write-target": Mutant(api=_NoScaleWrites),
    "never-ready": Mutant(lambda b: dataclasses.replace(b, ready=_never_ready)),
    "no-validation": Mutant(lambda b: dataclasses.replace(b, validate=lambda spec: None)),
    "no-pattern-detection": Mutant(_learning_with(detector=_BlindDetector)),
    "pattern-confidence-of-steady-state": Mutant(_learning_with(detector=_SteadyConfidence)),
    "no-data-points": Mutant(_learning_with(seasonal=_NoSeasonalUpdates)),
    "never-persist": Mutant(_learning_with(should_persist=lambda self, now: False)),
    "forget-on-restart": Mutant(_learning_with(load_configmap_data=_forget_on_restart)),
    "inverted-direction-accuracy": Mutant(_learning_with(tracker=_InvertedDirections)),
    "mape-over-predicted": Mutant(_learning_with(tracker=_MapeOverPredicted)),
    "prediction-without-confidence": Mutant(_each_strategy(_trust_any_prediction)),
    "hints-ignored": Mutant(lambda b: dataclasses.replace(b, hints_in_force=lambda own, registry, model: [])),
    "no-prediction-status": Mutant(lambda b: dataclasses.replace(b, prediction_status=lambda *args: None)),
    "bounds-wait-for-windows": Mutant(_as_built_in("bounds-before-stabilization")),
    "calibration-wipes-learned-hours": Mutant(_as_built_in("calibration-wipes-learned-hours")),
    "stale-ready-message": Mutant(_as_built_in("ready-reason-not-refreshed")),
    "actual-is-recommendation": Mutant(_as_built_in("actual-scale-is-recommendation")),
    "tolerance-a-hundredth": Mutant(_as_built_in("tolerance-as-percent")),
    "learning-status-fields-unset": Mutant(_as_built_in("learning-status-fields-unset")),
    "overall-is-direction": Mutant(_as_built_in("direction-accuracy-is-overall")),
    "always-ready": Mutant(lambda b: dataclasses.replace(b, ready=_always_ready)),
    "failures-read-as-zero": Mutant(_after_gathering(_failures_read_as_zero)),
    "no-scaling-active-condition": Mutant(_as_built_in("only-ready-condition")),
    "no-conflict-check": Mutant(lambda b: dataclasses.replace(b, conflict=lambda scaler, others, model: None)),
    "conflict-blocks-both": Mutant(_as_built_in("conflict-blocks-both")),
    "panic-never-entered": Mutant(_with_context(panic_threshold=1e9)),
    "kpa-this-tick-only": Mutant(_as_built_in("kpa-windows-unused")),
    "panic-threshold-a-hundredth": Mutant(_as_built_in("panic-threshold-as-percent")),
    "skip-scale-up-window": Mutant(_with_context(up_stabilization_seconds=0)),
    "hpa-never-updated": Mutant(api=_HpaNeverUpdated),
    "hpa-left-behind": Mutant(api=_HpaLeftBehind),
    "hpa-kept-after-strategy-change": Mutant(_as_built_in("hpa-kept-after-strategy-change")),
    "hpa-tolerance-ignored": Mutant(_changed_hpa(_without_tolerance)),
    "hpa-policies-dropped": Mutant(_changed_hpa(_without_scale_up_policies)),
    "hpa-scale-down-window-dropped": Mutant(_changed_hpa(_without_scale_down_window)),
    "hpa-external-metrics-dropped": Mutant(_changed_hpa(_without_external_metrics)),
    "policy-period-ignored-in-a-burst": Mutant(_as_built_in("policy-period-ignored")),
    "hpa-decision-unreported": Mutant(lambda b: dataclasses.replace(
        b, hpa_status=lambda hpa_status, running, model: {"actualScale": running})),
    "first-source-only": Mutant(_after_gathering(_only_the_first_source)),
    "pod-sources-unread": Mutant(_source_kind_unread("pod")),
    "inference-engine-sources-unread": Mutant(_source_kind_unread("inferenceEngine")),
    "resource-read-as-zero": Mutant(_kind_read_as_zero("resource")),
    "custom-read-as-zero": Mutant(_kind_read_as_zero("custom")),
    "prometheus-read-as-zero": Mutant(_kind_read_as_zero("prometheus")),
    "memory-read-as-zero": Mutant(_with_snapshots(_memory_read_as_zero)),
    "select-policy-inverted": Mutant(_each_strategy(_select_inverted)),
    "disabled-ignored": Mutant(_with_context(down_select_policy="Min")),
    "policy-period-ignored": Mutant(_as_built_in("policy-period-ignored")),
    "disabled-needs-policies": Mutant(_as_built_in("select-disabled-needs-policies")),
    "rate-reverses-direction": Mutant(_as_built_in("rate-reverses-direction")),
    "up-rate-ignored": Mutant(_with_context(max_scale_up_rate=1000.0)),
    "history-uncapped": Mutant(lambda b: dataclasses.replace(b, history=lambda old, new: [*(old or []), new])),
    "history-newest-first": Mutant(lambda b: dataclasses.replace(b, history=lambda old, new: [new, *(old or [])][:10])),
    "never-to-zero": Mutant(_as_built_in("never-scales-to-zero")),
    "finalizer-kept": Mutant(api=_KeepsFinalizer),
    "learning-data-orphaned": Mutant(api=_OrphanConfigMaps),
    "budget-ignored": Mutant(lambda b: dataclasses.replace(b, cost_metrics=lambda config, current, model: None)),
    "gpu-threshold-inverted": Mutant(_with("gpu_metrics", _gpu_inverted)),
    "spot-price-ignored": Mutant(_with("cost_metrics", _on_demand_always)),
    "hint-window-an-hour-early": Mutant(_with("hints_in_force", _hours_late)),
    "constant-predictor": Mutant(_with("predict", _constant_prediction)),
    "calibration-never-triggered": Mutant(_learning_with(verify=_verify_never_calibrating)),
    "prediction-unheeded": Mutant(_each_strategy(_prediction_unheeded)),
    "prediction-trusted-outright": Mutant(_each_strategy(_prediction_trusted_outright)),
    "configmap-name-unreported": Mutant(_learning_with(status=_status_without_configmap_name)),
    "constant-predictor-accuracy": Mutant(_with("predict", _constant_prediction)),
    "look-ahead-fixed": Mutant(_as_built_in("fixed-lookahead")),
    "prediction-status-hidden": Mutant(lambda b: dataclasses.replace(b, prediction_status=lambda *args: None)),
    "queue-unread": Mutant(_with_snapshots(_queue_dropped)),
    "waiting-read-as-running": Mutant(_with_snapshots(_running_for_waiting)),
    "simulator-hides-queue": Mutant(images=((images.LLM_D_SIM, _simulator_hiding_the_queue),)),
    "gate-ignored": Mutant(_with_context(max_starting_pods=0, max_starting_pod_percent=0)),
    "bypass-ignored": Mutant(_with_context(bypass_gate_on_panic=False)),
    "annotations-ignored": Mutant(_each_strategy(_annotations_ignored)),
    "unready-pods-counted": Mutant(_unready_pods_counted),
    "unready-read-as-zero": Mutant(_as_built_in("unready-pods-read-as-zero")),
    "actual-is-asked": Mutant(lambda b: dataclasses.replace(b, actual_scale=lambda target, rec, model: target.asked)),
    "actual-is-made": Mutant(lambda b: dataclasses.replace(b, actual_scale=lambda target, rec, model: target.made)),
    "actual-is-recommendation-lifecycle": Mutant(_as_built_in("actual-scale-is-recommendation")),
    "baseline-inside-tolerance": Mutant(_as_built_in("baseline-inside-tolerance")),
    "statefulsets-not-scaled": Mutant(api=_StatefulSetsNotScaled),
}
