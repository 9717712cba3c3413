"""The node agent (the kubelet's part): runs pods' containers, probes them, reports pod status.

It sees the cluster only through `access.ClusterAccess` (the embedded store, or
the official client against a real kube-apiserver) and schedules on a clock with
`call_later`. A pod gets an address of the node's `AddressPool` (its ports held
until its containers bind them), turns Running `start_delay` after it appears,
when its containers start, as a kubelet reports it: a python program's server
listens `listen_delay` later (a connection before that is refused), and the pod
is Ready once the readiness check passes (first after `ready_delay`, or the
probe's initialDelaySeconds, then every periodSeconds).

Simplifications, on purpose: readiness is established once and not re-probed;
a deleted pod's containers stop at once (no graceful termination).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from support.clock import rfc3339
from support.localcluster.access import ADDED, DELETED, ClusterAccess, EventRecorder, TimerClock, Timer, WorkQueue
from support.localcluster.errors import ApiError, not_found
from support.localcluster.node import podenv, probes
from support.localcluster.node.addresses import AddressPool, Reservation
from support.localcluster.node.containers import CONFIG_ERROR, ContainerError, ImageRegistry, RunningContainer
from support.localcluster.node.request_network import RequestNetwork
from support.localcluster.node.logs import ContainerLogs, log_container, tail

_log = logging.getLogger(__name__)

NODE_NAME = "budspec-local-node"
CONFIG_RETRY_SECONDS = 5.0  # kubelet retries CreateContainerConfigError (e.g. the ConfigMap comes later)


@dataclass(frozen=True)
class NodeConfig:
    name: str = NODE_NAME
    start_delay: float = 1.0  # from a pod's creation to its containers running
    ready_delay: float = 3.0  # from running to the first readiness check
    listen_delay: float = 1.0  # from a python program's start to its server listening (its import time)
    seed: int = 0  # the cluster's seed, handed to programs with random noise
    kubeconfig: Path | None = None  # the API credentials pods get (their service account)


@dataclass
class _Pod:
    """The agent's bookkeeping for one pod (by uid)."""

    namespace: str
    name: str
    uid: str
    ip: str | None = None
    reservation: Reservation | None = None
    running: dict[str, RunningContainer] = field(default_factory=dict)
    started_at: dict[str, str] = field(default_factory=dict)
    waiting: dict[str, tuple[str, str]] = field(default_factory=dict)
    ready: bool = False
    start_time: str | None = None
    timers: list[Timer] = field(default_factory=list)


class NodeAgent:
    def __init__(self, access: ClusterAccess, clock: TimerClock, queue: WorkQueue, images: ImageRegistry,
                 config: NodeConfig = NodeConfig(), addresses: AddressPool | None = None,
                 network: RequestNetwork | None = None):
        self._access, self._clock, self._queue, self._images = access, clock, queue, images
        self._network = network  # client request load for programs and the simulator (None: real HTTP only)
        self.config = config
        self._addresses = addresses or AddressPool()
        self._events = EventRecorder(access, clock, config.name)
        self._logs = ContainerLogs()
        self._lock = threading.Lock()  # guards _pods and every _Pod's dicts
        self._pods: dict[str, _Pod] = {}
        self._stopped = False

    # -- life cycle ----------------------------------------------------------
    def start(self) -> None:
        """Subscribe to pod changes and adopt the pods already there."""
        self._access.subscribe(self._on_event)
        for pod in self._access.list("Pod"):
            if self._mine(pod):
                self._queue.submit(partial(self._pod_added, pod))

    def stop(self) -> None:
        """Stop every running container; later events are ignored."""
        self._stopped = True
        self._access.unsubscribe(self._on_event)
        with self._lock:
            pods, self._pods = list(self._pods.values()), {}
        stop_containers([c for pod in pods for c in self._forget(pod)])

    # -- pods/log -----------------------------------------------------------------
    def pod_log(self, namespace: str, pod_name: str, container: str | None, tail_lines: int | None) -> str:
        pod = self._access.get("Pod", namespace, pod_name)
        if pod is None:
            raise not_found("Pod", pod_name)
        name = log_container(pod, container)
        uid = pod["metadata"]["uid"]
        lines = self._logs.lines(uid, name)
        if lines is None:
            with self._lock:
                state = self._pods.get(uid)
                waiting = state.waiting.get(name, ("ContainerCreating", ""))[0] if state else "ContainerCreating"
            raise ApiError(400, "BadRequest", f'container "{name}" in pod "{pod_name}" is waiting to start: {waiting}')
        return tail(lines, tail_lines)

    # -- events -------------------------------------------------------------------
    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        """A change (the object is shared with other subscribers: never mutated here)."""
        if kind != "Pod" or self._stopped or not self._mine(obj):
            return
        if event == ADDED:
            self._queue.submit(partial(self._pod_added, obj))
        elif event == DELETED:
            self._queue.submit(partial(self._pod_deleted, obj))

    def _mine(self, pod: dict) -> bool:
        return (pod.get("spec") or {}).get("nodeName") in (None, "", self.config.name)

    def _later(self, state: _Pod, delay: float, work: Callable[[], None]) -> None:
        timer = self._clock.call_later(delay, lambda: self._queue.submit(work))
        with self._lock:
            state.timers.append(timer)

    # -- a pod's life ---------------------------------------------------------------
    def _pod_added(self, pod: dict) -> None:
        meta = pod["metadata"]
        with self._lock:
            if meta["uid"] in self._pods:
                return
            state = _Pod(meta.get("namespace", ""), meta["name"], meta["uid"])
            self._pods[state.uid] = state
        if not pod.get("status", {}).get("conditions"):
            self._write_status({**pod, "status": {"phase": "Pending", "qosClass": "BestEffort",
                                                  "conditions": [condition("PodScheduled", True, self._now())]}})
        self._events.emit(pod, "Scheduled", "default-scheduler",
                          f"Successfully assigned {state.namespace}/{state.name} to {self.config.name}")
        self._later(state, self.config.start_delay, partial(self._start_pod, state.uid))

    def _pod_deleted(self, pod: dict) -> None:
        with self._lock:
            state = self._pods.pop(pod["metadata"]["uid"], None)
        if state is not None:
            stop_containers(self._forget(state))
            self._logs.forget_pod(state.uid)

    def _forget(self, state: _Pod) -> list[RunningContainer]:
        with self._lock:
            for timer in state.timers:
                timer.cancel()
            running, state.running, state.timers = list(state.running.values()), {}, []
            reservation, state.reservation = state.reservation, None
        if reservation is not None:
            reservation.close()
        return running

    def _live(self, uid: str) -> tuple[_Pod, dict] | None:
        """Our state and the stored pod, if the pod still exists (same uid)."""
        with self._lock:
            state = self._pods.get(uid)
        pod = self._access.get("Pod", state.namespace, state.name) if state else None
        if pod is None or pod["metadata"]["uid"] != uid:
            return None
        return state, pod

    def _start_pod(self, uid: str) -> None:
        live = self._live(uid)
        if live is None:
            return
        state, pod = live
        if state.ip is None:
            state.reservation = self._addresses.reserve(_container_ports(pod))
            state.ip = state.reservation.ip
            state.start_time = self._now()
        pod.setdefault("status", {})["podIP"] = state.ip
        for container in pod.get("spec", {}).get("containers") or []:
            if container["name"] not in state.running:
                self._start_container(state, pod, container)
        self._write_status(self._pod_status(state, pod))
        if not state.waiting:
            self._later(state, probes.initial_delay(pod, self.config.ready_delay), partial(self._check_ready, uid))
        elif any(reason == CONFIG_ERROR for reason, _ in state.waiting.values()):
            self._later(state, CONFIG_RETRY_SECONDS, partial(self._start_pod, uid))

    def _start_container(self, state: _Pod, pod: dict, container: dict) -> None:
        name, image = container["name"], container.get("image", "")
        log = partial(self._logs.append, state.uid, name)
        try:
            context = podenv.prepare(self._access, pod, container, state.ip, log, self._clock,
                                     self.config.seed, self.config.kubeconfig)
            context.listen_delay, context.later = self.config.listen_delay, self._clock.call_later
            if self._network is not None:
                context.network = self._network.for_namespace(state.namespace)
            if state.reservation is not None:
                context.bind_port = state.reservation.release
            log(f"{self._now()} started container {name} (image {image}) on {state.ip}")
            running = self._images.run(context)
        except ContainerError as error:
            self._container_failed(state, pod, name, error)
            return
        with self._lock:
            alive = self._pods.get(state.uid) is state and not self._stopped
            if alive:
                state.running[name] = running
                state.waiting.pop(name, None)
                state.started_at[name] = self._now()
        if not alive:  # stop() or the pod's deletion raced with this start
            stop_containers([running])
            return
        self._events.emit(pod, "Started", "kubelet", f"Started container {name}",
                          field_path=f"spec.containers{{{name}}}")

    def _container_failed(self, state: _Pod, pod: dict, name: str, error: ContainerError) -> None:
        if state.waiting.get(name) != (error.reason, error.message):
            self._events.emit(pod, "Failed", "kubelet", f"Error: {error.reason}: {error.message}", warning=True,
                              field_path=f"spec.containers{{{name}}}")
        with self._lock:
            state.waiting[name] = (error.reason, error.message)
        self._logs.forget_container(state.uid, name)  # it never started: `kubectl logs` says "waiting to start"

    def _check_ready(self, uid: str) -> None:
        live = self._live(uid)
        if live is None:
            return
        state, pod = live
        failing = [c for c in pod["spec"].get("containers") or [] if not probes.probe(c, state.ip)]
        if failing:
            self._later(state, probes.retry_period(pod, failing), partial(self._check_ready, uid))
            return
        state.ready = True
        self._write_status(self._pod_status(state, pod))

    def _pod_status(self, state: _Pod, pod: dict) -> dict:
        now, previous = self._now(), pod.get("status", {})
        with self._lock:
            statuses = [_container_status(c, state) for c in pod["spec"].get("containers") or []]
        all_running = all("running" in s["state"] for s in statuses)
        ready = state.ready and all_running
        conditions = merge_conditions(previous.get("conditions") or [], {
            "PodScheduled": True, "Initialized": True, "ContainersReady": ready, "Ready": ready}, now)
        pod["status"] = {"phase": "Running" if all_running else "Pending", "conditions": conditions,
                         "hostIP": state.ip, "hostIPs": [{"ip": state.ip}], "podIP": state.ip,
                         "podIPs": [{"ip": state.ip}], "startTime": state.start_time,
                         "containerStatuses": statuses, "qosClass": "BestEffort"}
        return pod

    def _write_status(self, pod: dict) -> None:
        # the node is the only writer of pod status: no resourceVersion precondition
        meta = {k: v for k, v in pod["metadata"].items() if k != "resourceVersion"}
        try:
            self._access.update_status("Pod", {**pod, "metadata": meta})
        except ApiError as error:
            if error.code != 404:
                raise

    def _now(self) -> str:
        return rfc3339(self._clock.now())


def condition(kind: str, status: bool, now: str) -> dict:
    return {"type": kind, "status": "True" if status else "False", "lastProbeTime": None, "lastTransitionTime": now}


def merge_conditions(previous: list[dict], wanted: dict[str, bool], now: str) -> list[dict]:
    """Wanted condition values, keeping lastTransitionTime where the status did not change."""
    old = {c.get("type"): c for c in previous}
    merged = []
    for kind, status in wanted.items():
        fresh = condition(kind, status, now)
        if old.get(kind, {}).get("status") == fresh["status"]:
            fresh["lastTransitionTime"] = old[kind].get("lastTransitionTime", now)
        merged.append(fresh)
    return merged


def _container_status(container: dict, state: _Pod) -> dict:
    name = container["name"]
    running = name in state.running
    if running:
        current = {"running": {"startedAt": state.started_at[name]}}
    else:
        reason, message = state.waiting.get(name, ("ContainerCreating", ""))
        current = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
    return {"name": name, "image": container.get("image", ""), "imageID": "", "restartCount": 0,
            "started": running, "ready": running and state.ready, "state": current}


def _container_ports(pod: dict) -> list[int]:
    return [p["containerPort"] for c in pod["spec"].get("containers") or [] for p in c.get("ports") or []
            if "containerPort" in p]


def stop_containers(running: list[RunningContainer]) -> None:
    """Stop containers in parallel; each stop is bounded, so this never hangs."""
    threads = [threading.Thread(target=_stop_quietly, args=(c,), daemon=True) for c in running]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5.0)


def _stop_quietly(container: RunningContainer) -> None:
    try:
        container.stop()
    except Exception:
        _log.exception("stopping a container failed")
