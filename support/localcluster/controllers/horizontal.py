"""The HorizontalPodAutoscaler controller: every 15 s of cluster time, each HPA scales its target.

As kube-controller-manager's: an HPA is synced 15 s after it appears and every 15 s
after that (a change to it does not sync it sooner). A sync reads the target's
scale (Deployment, StatefulSet, ReplicaSet: spec.replicas, status.replicas, the
selector), the pods it selects and the metrics APIs (`metrics.k8s.io` for Resource
metrics, `custom.metrics.k8s.io` for Pods metrics, `external.metrics.k8s.io` for
External metrics), runs the Kubernetes algorithm of the pure model (`support.reference.hpa`:
tolerance, stabilization windows, behavior policies, min/max), writes the target's
replicas when they change, then the HPA's status and its events. The controller's
memory of each HPA (recommendations, scale events) is lost with the cluster, as the
real one's is on restart.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol

from support.localcluster.access import ADDED, DELETED, EventRecorder, Timer, TimerClock, WorkQueue
from support.localcluster.apiserver.selectors import parse_label_selector, selector_string
from support.localcluster.controllers import workloads
from support.localcluster.errors import ApiError
from support.localcluster.store import Store
from support.reference.hpa import SYNC_PERIOD, HpaInputs, HpaState, finish, reconcile

COMPONENT = "horizontal-pod-autoscaler"
KIND = "HorizontalPodAutoscaler"
SCALABLE = {"Deployment": "deployments.apps", "StatefulSet": "statefulsets.apps", "ReplicaSet": "replicasets.apps"}


class MetricsReader(Protocol):
    """The metrics APIs as the controller reads them (the API server's `MetricsApis`)."""

    def pod_metrics(self, namespace: str | None, selector: str = "") -> list[dict]: ...

    def pod_metric_values(self, namespace: str, metric: str, selector: str = "") -> list[dict]: ...

    def external_metric_values(self, namespace: str, metric: str, selector: str = "") -> list[dict]: ...


class HorizontalController:
    def __init__(self, store: Store, clock: TimerClock, queue: WorkQueue, events: EventRecorder,
                 metrics: MetricsReader, period: float = SYNC_PERIOD):
        self._store, self._clock, self._queue, self._events = store, clock, queue, events
        self._metrics, self._period = metrics, period
        self._states: dict[str, HpaState] = {}   # HPA uid -> the controller's memory of it
        self._timers: dict[str, Timer] = {}

    def start(self) -> None:
        self._store.subscribe(self._on_event)
        for hpa in self._store.list(KIND):
            self._schedule(hpa)

    def stop(self) -> None:
        self._store.unsubscribe(self._on_event)
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        if kind != KIND:
            return
        if event == ADDED:
            self._schedule(obj)
        elif event == DELETED:
            uid = obj["metadata"]["uid"]
            timer = self._timers.pop(uid, None)
            if timer is not None:
                timer.cancel()
            self._states.pop(uid, None)

    def _schedule(self, hpa: dict) -> None:
        meta = hpa["metadata"]
        uid = meta["uid"]
        if uid in self._timers:
            return
        due = partial(self._queue.submit, partial(self._sync, meta.get("namespace", ""), meta["name"], uid))
        self._timers[uid] = self._clock.call_later(self._period, due)

    def _sync(self, namespace: str, name: str, uid: str) -> None:
        self._timers.pop(uid, None)
        hpa = self._store.get(KIND, namespace, name)
        if hpa is None or hpa["metadata"]["uid"] != uid:
            self._states.pop(uid, None)
            return
        try:
            self._sync_one(hpa, self._states.setdefault(uid, HpaState()))
        finally:
            if not workloads.terminating_namespace(self._store, namespace):
                self._schedule(hpa)

    def _sync_one(self, hpa: dict, state: HpaState) -> None:
        now = self._clock.now()
        inputs = self._inputs(hpa, now)
        decision = reconcile(hpa, inputs, state)
        write_error = self._rescale(hpa, decision.desired) if decision.rescale else None
        decision = finish(decision, state, now, write_error)
        status = decision.status.to_json()
        if status != hpa.get("status"):
            try:
                self._store.update_status(KIND, {**hpa, "status": status})
            except ApiError as error:
                if error.code not in (404, 409):
                    raise
        for type_, reason, message in decision.events:
            self._events.emit(hpa, reason, COMPONENT, message, warning=type_ == "Warning")

    # -- reading -----------------------------------------------------------------------
    def _inputs(self, hpa: dict, now: float) -> HpaInputs:
        namespace = hpa["metadata"].get("namespace", "")
        target, error = self._target(hpa)
        if target is None:
            return HpaInputs(now=now, current=0, scale_error=error)
        selector = selector_string((target.get("spec") or {}).get("selector"))
        pods = self._store.list("Pod", namespace, parse_label_selector(selector)) if selector else []
        metrics = (hpa.get("spec") or {}).get("metrics") or []
        kinds = {m.get("type") for m in metrics}
        pod_metrics = self._metrics.pod_metrics(namespace, selector) if "Resource" in kinds and selector else ()
        custom = {}
        for metric in metrics:
            if metric.get("type") == "Pods":
                name = metric["pods"]["metric"]["name"]
                items = self._metrics.pod_metric_values(namespace, name, selector) if selector else []
                custom[name] = items or f"the server could not find the metric {name} for pods"
        external = {}
        for metric in metrics:
            if metric.get("type") == "External":
                name = metric["external"]["metric"]["name"]
                found = self._metrics.external_metric_values(
                    namespace, name, selector_string(metric["external"]["metric"].get("selector")))
                external[name] = found or f"the server could not find the external metric {name}"
        return HpaInputs(now=now, current=workloads.replicas_of(target),
                         status_replicas=int((target.get("status") or {}).get("replicas") or 0), selector=selector,
                         pods=tuple(pods), pod_metrics=tuple(pod_metrics), custom_metrics=custom,
                         external_metrics=external)

    def _target(self, hpa: dict) -> tuple[dict | None, str]:
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        kind, name = ref.get("kind", ""), ref.get("name", "")
        if kind not in SCALABLE:
            return None, f'no matches for kind "{kind}" in group "{ref.get("apiVersion", "")}"'
        target = self._store.get(kind, hpa["metadata"].get("namespace", ""), name)
        if target is None:
            return None, f'{SCALABLE[kind]} "{name}" not found'
        return target, ""

    # -- writing -----------------------------------------------------------------------
    def _rescale(self, hpa: dict, desired: int) -> str | None:
        """Write the target's replicas (its /scale); the error text if that failed."""
        target, error = self._target(hpa)
        if target is None:
            return error
        target.setdefault("spec", {})["replicas"] = desired
        try:
            self._store.update(hpa["spec"]["scaleTargetRef"]["kind"], target)
        except ApiError as failure:
            return failure.message
        return None
