"""The embedded cluster's deployment controller and kubelet, on the cluster's clock.

Deployments get pods; pods get a loopback IP (127.B.x.y, B chosen at random per
cluster so that embedded clusters of parallel runs draw from different blocks; unique for the cluster's
lifetime; Linux routes all of 127/8 to loopback) and run their containers
in-process (containers.py); they turn Running after `cluster.start_delay` and
Ready after `cluster.ready_delay` (or the readiness probe's initial delay, and
only once an httpGet/tcpSocket probe answers).

Simplifications, on purpose:
- Pods are owned directly by their Deployment (no ReplicaSets). Pod names and
  the `pod-template-hash` label still look like Kubernetes'.
- A template change replaces all old pods at once (the Recreate strategy).
- Readiness is established once; it is not re-probed after the pod is Ready.
- Deletion is immediate (no graceful termination).

Concurrency: store events arrive synchronously from any thread (API-server
handlers, the thread advancing the clock, and our own writes, re-entrantly).
Every event becomes a work item in one queue; whichever thread finds the queue
idle drains it, everyone else only enqueues and returns. So work runs one item
at a time, nothing ever waits for another thread, and our own store writes can
notify us without recursion.
"""

from __future__ import annotations

import collections
import hashlib
import http.client
import itertools
import json
import logging
import random
import secrets
import socket
import threading
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

from support.clock import rfc3339
from support.localcluster import containers
from support.localcluster import images  # noqa: F401  (registers the emulated images)
from support.localcluster.store import ADDED, DELETED, ApiError, not_found

_log = logging.getLogger(__name__)

HASH_LABEL = "pod-template-hash"
NODE_NAME = "budspec-local-node"
CONFIG_RETRY_SECONDS = 5.0  # kubelet retries CreateContainerConfigError (e.g. the ConfigMap comes later)
LOG_LINES_KEPT = 10_000
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' rand.SafeEncodeString alphabet


@dataclass
class _Pod:
    """The kubelet's bookkeeping for one pod (by uid)."""

    namespace: str
    name: str
    uid: str
    seq: int
    ip: str | None = None
    running: dict[str, containers.RunningContainer] = field(default_factory=dict)
    started_at: dict[str, str] = field(default_factory=dict)
    waiting: dict[str, tuple[str, str]] = field(default_factory=dict)
    logs: dict[str, collections.deque] = field(default_factory=dict)
    ready: bool = False
    start_time: str | None = None
    timers: list = field(default_factory=list)


class Workloads:
    def __init__(self, cluster: Any):
        self.cluster = cluster
        self._store, self._clock = cluster.store, cluster.clock
        self._lock = threading.Lock()  # guards _pods and every _Pod's dicts
        self._pods: dict[str, _Pod] = {}
        self._queue: collections.deque[Callable[[], None]] = collections.deque()
        self._queue_lock = threading.Lock()
        self._draining = False
        self._stopped = False
        self._random = random.Random(getattr(cluster, "seed", 0))
        self._ip_number = 0
        self._ip_block = 2 + secrets.randbelow(253)  # 127.2.0.0/16 .. 127.254.0.0/16, one per cluster
        self._seq = itertools.count()
        self._event_numbers = itertools.count(1)
        self._round_robin = itertools.count()

    # -- life cycle ----------------------------------------------------------
    def start(self) -> None:
        """Subscribe to the store and adopt the pods and deployments already there."""
        self._store.subscribe(self._on_event)
        for pod in self._store.list("Pod"):
            self._submit(partial(self._pod_added, pod))
        for deployment in self._store.list("Deployment"):
            meta = deployment["metadata"]
            self._submit(partial(self._reconcile, meta.get("namespace", ""), meta["name"]))

    def stop(self) -> None:
        """Stop every running container; later events are ignored."""
        self._stopped = True
        self._store.unsubscribe(self._on_event)
        with self._lock:
            pods, self._pods = list(self._pods.values()), {}
        _stop_containers([c for pod in pods for c in self._forget(pod)])

    # -- the API server's and the facade's questions ---------------------------
    def pod_endpoint(self, namespace: str, pod_name: str, port: str | int | None) -> tuple[str, int]:
        pod = self._store.get("Pod", namespace, pod_name)
        if pod is None:
            raise not_found("Pod", pod_name)
        ip = self._running_ip(pod)
        if ip is None:
            phase = pod.get("status", {}).get("phase", "Pending")
            raise ApiError(503, "ServiceUnavailable", f'pod "{pod_name}" is not running (phase {phase})')
        return ip, _pod_port(pod, port)

    def service_endpoint(self, namespace: str, service_name: str, port: str | int | None) -> tuple[str, int]:
        service = self._store.get("Service", namespace, service_name)
        if service is None:
            raise not_found("Service", service_name)
        service_port = _service_port(service, port)
        candidates = [(pod, ip) for pod in self._selected_pods(service)
                      if _is_ready(pod) and (ip := self._running_ip(pod)) is not None]
        if not candidates:
            raise ApiError(503, "ServiceUnavailable", f'no endpoints available for service "{service_name}"')
        pod, ip = candidates[next(self._round_robin) % len(candidates)]
        target = service_port.get("targetPort", service_port.get("port"))
        return ip, _pod_port(pod, target)

    def pod_log(self, namespace: str, pod_name: str, container: str | None, tail_lines: int | None) -> str:
        pod = self._store.get("Pod", namespace, pod_name)
        if pod is None:
            raise not_found("Pod", pod_name)
        name = _log_container(pod, container)
        with self._lock:
            state = self._pods.get(pod["metadata"]["uid"])
            lines = list(state.logs[name]) if state and name in state.logs else None
            waiting = state.waiting.get(name, ("ContainerCreating", ""))[0] if state else "ContainerCreating"
        if lines is None:
            raise ApiError(400, "BadRequest", f'container "{name}" in pod "{pod_name}" is waiting to start: {waiting}')
        if tail_lines is not None:
            lines = lines[-tail_lines:] if tail_lines > 0 else []
        return "".join(line + "\n" for line in lines)

    # -- the work queue ------------------------------------------------------
    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        meta = obj.get("metadata", {})
        namespace, name = meta.get("namespace", ""), meta.get("name", "")
        if kind == "Deployment":
            work = partial(self._delete_owned, namespace, meta.get("uid")) if event == DELETED \
                else partial(self._reconcile, namespace, name)
            self._submit(work)
        elif kind == "Pod":
            if event == ADDED:
                self._submit(partial(self._pod_added, obj))
            elif event == DELETED:
                self._submit(partial(self._pod_deleted, obj))
            owner = _deployment_owner(obj)
            if owner is not None:
                self._submit(partial(self._reconcile, namespace, owner))

    def _submit(self, work: Callable[[], None]) -> None:
        with self._queue_lock:
            self._queue.append(work)
            if self._draining:
                return
            self._draining = True
        self._drain()

    def _drain(self) -> None:
        while True:
            with self._queue_lock:
                if not self._queue:
                    self._draining = False
                    return
                work = self._queue.popleft()
            if self._stopped:
                continue
            try:
                work()
            except Exception:  # one bad object must not stall the cluster
                _log.exception("embedded cluster workload reconcile failed")

    def _later(self, state: _Pod, delay: float, work: Callable[[], None]) -> None:
        timer = self._clock.call_later(delay, lambda: self._submit(work))
        with self._lock:
            state.timers.append(timer)

    # -- deployment controller -------------------------------------------------
    def _reconcile(self, namespace: str, name: str) -> None:
        deployment = self._store.get("Deployment", namespace, name)
        if deployment is None:
            return
        template_hash = _template_hash(deployment)
        pods = self._owned_pods(namespace, deployment["metadata"]["uid"])
        current = [p for p in pods if p["metadata"].get("labels", {}).get(HASH_LABEL) == template_hash]
        for stale in (p for p in pods if p not in current):
            self._delete_pod(stale)
        if not self._terminating(deployment):
            self._scale(deployment, current, template_hash)
        self._write_deployment_status(namespace, name)

    def _scale(self, deployment: dict, current: list[dict], template_hash: str) -> None:
        desired, have = _desired(deployment), len(current)
        if desired > have:
            for _ in range(desired - have):
                self._create_pod(deployment, template_hash)
        elif desired < have:
            for victim in sorted(current, key=self._scale_down_order)[:have - desired]:
                self._delete_pod(victim)
        if desired != have:
            direction = "up" if desired > have else "down"
            self._emit(deployment, "ScalingReplicaSet", "deployment-controller",
                       f"Scaled {direction} replica set {deployment['metadata']['name']}-{template_hash} "
                       f"from {have} to {desired}")

    def _scale_down_order(self, pod: dict) -> tuple:
        """Not-ready pods first, then the newest."""
        with self._lock:
            state = self._pods.get(pod["metadata"]["uid"])
        seq = state.seq if state else -1
        return _is_ready(pod), pod.get("status", {}).get("phase") == "Running", \
            _negated(pod["metadata"].get("creationTimestamp", "")), -seq

    def _terminating(self, deployment: dict) -> bool:
        return bool(deployment["metadata"].get("deletionTimestamp")) or \
            self._namespace_terminating(deployment["metadata"].get("namespace", ""))

    def _namespace_terminating(self, name: str) -> bool:
        namespace = self._store.get("Namespace", None, name) or {}
        return namespace.get("status", {}).get("phase") == "Terminating"

    def _create_pod(self, deployment: dict, template_hash: str) -> None:
        for _ in range(20):
            suffix = "".join(self._random.choice(_SAFE_ALPHABET) for _ in range(5))
            pod = _pod_from_template(deployment, template_hash, suffix, self._now())
            try:
                self._store.create("Pod", pod)
                return
            except ApiError as error:
                if error.code != 409:
                    raise

    def _delete_pod(self, pod: dict) -> None:
        try:
            self._store.delete("Pod", pod["metadata"].get("namespace"), pod["metadata"]["name"])
        except ApiError as error:
            if error.code != 404:
                raise

    def _delete_owned(self, namespace: str, uid: str | None) -> None:
        for pod in self._owned_pods(namespace, uid):
            self._delete_pod(pod)

    def _owned_pods(self, namespace: str, uid: str | None) -> list[dict]:
        return [p for p in self._store.list("Pod", namespace)
                if any(ref.get("uid") == uid and ref.get("kind") == "Deployment"
                       for ref in p["metadata"].get("ownerReferences") or [])]

    def _write_deployment_status(self, namespace: str, name: str) -> None:
        deployment = self._store.get("Deployment", namespace, name)
        if deployment is None:
            return
        pods = self._owned_pods(namespace, deployment["metadata"]["uid"])
        status = deployment_status(deployment, pods, _template_hash(deployment), self._now())
        if status == deployment.get("status"):
            return
        deployment["status"] = status
        deployment["metadata"].pop("resourceVersion", None)  # we are the only writer of Deployment status
        try:
            self._store.update("Deployment", deployment, status_only=True)
        except ApiError as error:
            if error.code != 404:
                raise

    # -- kubelet ---------------------------------------------------------------
    def _pod_added(self, pod: dict) -> None:
        meta = pod["metadata"]
        with self._lock:
            if meta["uid"] in self._pods:
                return
            state = _Pod(meta.get("namespace", ""), meta["name"], meta["uid"], next(self._seq))
            self._pods[state.uid] = state
        if not pod.get("status", {}).get("conditions"):
            pod["status"] = {"phase": "Pending", "qosClass": "BestEffort",
                             "conditions": [_condition("PodScheduled", True, self._now())]}
            self._write_pod_status(pod)
        self._emit(pod, "Scheduled", "default-scheduler",
                   f"Successfully assigned {state.namespace}/{state.name} to {NODE_NAME}")
        self._later(state, self.cluster.start_delay, partial(self._start_pod, state.uid))

    def _pod_deleted(self, pod: dict) -> None:
        with self._lock:
            state = self._pods.pop(pod["metadata"]["uid"], None)
        if state is not None:
            _stop_containers(self._forget(state))

    def _forget(self, state: _Pod) -> list[containers.RunningContainer]:
        with self._lock:
            for timer in state.timers:
                timer.cancel()
            running, state.running, state.timers = list(state.running.values()), {}, []
        return running

    def _live(self, uid: str) -> tuple[_Pod, dict] | None:
        """Our state and the stored pod, if the pod still exists (same uid)."""
        with self._lock:
            state = self._pods.get(uid)
        pod = self._store.get("Pod", state.namespace, state.name) if state else None
        if pod is None or pod["metadata"]["uid"] != uid:
            return None
        return state, pod

    def _start_pod(self, uid: str) -> None:
        live = self._live(uid)
        if live is None:
            return
        state, pod = live
        if state.ip is None:
            state.ip = self._allocate_ip(pod)
            state.start_time = self._now()
        pod.setdefault("status", {})["podIP"] = state.ip
        for container in pod.get("spec", {}).get("containers") or []:
            if container["name"] not in state.running:
                self._start_container(state, pod, container)
        self._write_pod_status(self._pod_status(state, pod))
        if not state.waiting:
            self._later(state, _ready_delay(pod, self.cluster.ready_delay), partial(self._check_ready, uid))
        elif any(reason == containers.CONFIG_ERROR for reason, _ in state.waiting.values()):
            self._later(state, CONFIG_RETRY_SECONDS, partial(self._start_pod, uid))

    def _start_container(self, state: _Pod, pod: dict, container: dict) -> None:
        name, image = container["name"], container.get("image", "")
        log = partial(self._append_log, state, name)
        try:
            context = containers.prepare(self.cluster, pod, container, state.ip, log)
            log(f"{self._now()} started container {name} (image {image}) on {state.ip}")
            running = containers.run(context)
        except containers.ContainerError as error:
            self._container_failed(state, pod, name, error)
            return
        with self._lock:
            alive = self._pods.get(state.uid) is state and not self._stopped
            if alive:
                state.running[name] = running
                state.waiting.pop(name, None)
                state.started_at[name] = self._now()
        if not alive:  # stop() or the pod's deletion raced with this start
            _stop_containers([running])
            return
        self._emit(pod, "Started", "kubelet", f"Started container {name}", field_path=f"spec.containers{{{name}}}")

    def _container_failed(self, state: _Pod, pod: dict, name: str, error: containers.ContainerError) -> None:
        if state.waiting.get(name) != (error.reason, error.message):
            self._emit(pod, "Failed", "kubelet", f"Error: {error.reason}: {error.message}", warning=True,
                       field_path=f"spec.containers{{{name}}}")
        with self._lock:
            state.waiting[name] = (error.reason, error.message)
            state.logs.pop(name, None)  # it never started: `kubectl logs` says "waiting to start"

    def _check_ready(self, uid: str) -> None:
        live = self._live(uid)
        if live is None:
            return
        state, pod = live
        failing = [c for c in pod["spec"].get("containers") or [] if not _probe(c, state.ip)]
        if failing:
            period = min(float(c["readinessProbe"].get("periodSeconds") or 10) for c in failing)
            self._later(state, period, partial(self._check_ready, uid))
            return
        state.ready = True
        self._write_pod_status(self._pod_status(state, pod))

    def _pod_status(self, state: _Pod, pod: dict) -> dict:
        now, previous = self._now(), pod.get("status", {})
        with self._lock:
            statuses = [_container_status(c, state) for c in pod["spec"].get("containers") or []]
        all_running = all("running" in s["state"] for s in statuses)
        ready = state.ready and all_running
        conditions = _merge_conditions(previous.get("conditions") or [], {
            "PodScheduled": True, "Initialized": True, "ContainersReady": ready, "Ready": ready}, now)
        pod["status"] = {"phase": "Running" if all_running else "Pending", "conditions": conditions,
                         "hostIP": state.ip, "hostIPs": [{"ip": state.ip}], "podIP": state.ip,
                         "podIPs": [{"ip": state.ip}], "startTime": state.start_time,
                         "containerStatuses": statuses, "qosClass": "BestEffort"}
        return pod

    def _write_pod_status(self, pod: dict) -> None:
        pod["metadata"].pop("resourceVersion", None)
        try:
            self._store.update("Pod", pod, status_only=True)
        except ApiError as error:
            if error.code != 404:
                raise

    def _append_log(self, state: _Pod, container: str, line: str) -> None:
        with self._lock:
            state.logs.setdefault(container, collections.deque(maxlen=LOG_LINES_KEPT)).append(line)

    def _allocate_ip(self, pod: dict) -> str:
        """The next 127.B.x.y of this cluster's block whose container ports are free (another process may use some)."""
        ports = [p["containerPort"] for c in pod["spec"].get("containers") or [] for p in c.get("ports") or []
                 if "containerPort" in p]
        while True:
            self._ip_number += 1
            if self._ip_number >= 0xFFFF:
                raise RuntimeError(f"the embedded cluster ran out of pod IPs in 127.{self._ip_block}.0.0/16")
            ip = f"127.{self._ip_block}.{self._ip_number >> 8}.{self._ip_number & 0xFF}"
            if self._ip_number & 0xFF not in (0, 255) and all(_port_free(ip, port) for port in ports):
                return ip

    def _running_ip(self, pod: dict) -> str | None:
        with self._lock:
            state = self._pods.get(pod["metadata"].get("uid"))
            running = state is not None and bool(state.running)
        if running and pod.get("status", {}).get("phase") == "Running":
            return pod["status"].get("podIP")
        return None

    def _selected_pods(self, service: dict) -> list[dict]:
        selector = service.get("spec", {}).get("selector") or {}
        if not selector:
            return []
        return self._store.list("Pod", service["metadata"].get("namespace", ""),
                                labels=lambda labels: all(labels.get(k) == v for k, v in selector.items()))

    # -- events ----------------------------------------------------------------
    def _emit(self, obj: dict, reason: str, component: str, message: str, *, warning: bool = False,
              field_path: str | None = None) -> None:
        meta, now = obj["metadata"], self._now()
        if self._namespace_terminating(meta.get("namespace", "")):
            return
        involved = {"apiVersion": obj.get("apiVersion", "v1"), "kind": obj.get("kind", "Pod"),
                    "name": meta["name"], "namespace": meta.get("namespace", ""), "uid": meta.get("uid", "")}
        if field_path:
            involved["fieldPath"] = field_path
        event = {"apiVersion": "v1", "kind": "Event", "involvedObject": involved, "reason": reason,
                 "message": message, "type": "Warning" if warning else "Normal", "count": 1,
                 "source": {"component": component, "host": NODE_NAME}, "reportingComponent": component,
                 "reportingInstance": NODE_NAME, "firstTimestamp": now, "lastTimestamp": now}
        for _ in range(5):
            event["metadata"] = {"name": f"{meta['name']}.{next(self._event_numbers):016x}",
                                 "namespace": meta.get("namespace", "")}
            try:
                self._store.create("Event", event)
                return
            except ApiError as error:
                if error.code != 409:
                    raise

    def _now(self) -> str:
        return rfc3339(self._clock.now())


# -- pure helpers ---------------------------------------------------------------

def deployment_status(deployment: dict, pods: list[dict], template_hash: str, now: str) -> dict:
    """apps/v1 DeploymentStatus for these owned pods; zero counts omitted, as Kubernetes does."""
    desired = _desired(deployment)
    ready = sum(1 for p in pods if _is_ready(p))
    updated = sum(1 for p in pods if p["metadata"].get("labels", {}).get(HASH_LABEL) == template_hash)
    name = f"{deployment['metadata']['name']}-{template_hash}"
    complete = updated == len(pods) == desired and ready >= desired
    previous = (deployment.get("status") or {}).get("conditions") or []
    conditions = [
        _deployment_condition(previous, "Available", ready >= desired, now,
                              *(("MinimumReplicasAvailable", "Deployment has minimum availability.") if ready >= desired
                                else ("MinimumReplicasUnavailable", "Deployment does not have minimum availability."))),
        _deployment_condition(previous, "Progressing", True, now,
                              *(("NewReplicaSetAvailable", f'ReplicaSet "{name}" has successfully progressed.')
                                if complete else ("ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.'))),
    ]
    counts = {"replicas": len(pods), "updatedReplicas": updated, "readyReplicas": ready,
              "availableReplicas": ready, "unavailableReplicas": max(0, desired - ready)}
    return {"observedGeneration": deployment["metadata"].get("generation", 1),
            **{k: v for k, v in counts.items() if v}, "conditions": conditions}


def _deployment_condition(previous: list[dict], kind: str, status: bool, now: str, reason: str, message: str) -> dict:
    old = next((c for c in previous if c.get("type") == kind), {})
    text = "True" if status else "False"
    same_status = old.get("status") == text
    same = same_status and old.get("reason") == reason and old.get("message") == message
    return {"type": kind, "status": text, "lastUpdateTime": old["lastUpdateTime"] if same else now,
            "lastTransitionTime": old["lastTransitionTime"] if same_status else now,
            "reason": reason, "message": message}


def _pod_from_template(deployment: dict, template_hash: str, suffix: str, now: str) -> dict:
    meta = deployment["metadata"]
    template = deployment.get("spec", {}).get("template") or {}
    template_meta = template.get("metadata") or {}
    spec = json.loads(json.dumps(template.get("spec") or {}))
    spec.setdefault("nodeName", NODE_NAME)
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": f"{meta['name']}-{template_hash}-{suffix}", "generateName": f"{meta['name']}-{template_hash}-",
            "namespace": meta.get("namespace", ""),
            "labels": {**(template_meta.get("labels") or {}), HASH_LABEL: template_hash},
            **({"annotations": template_meta["annotations"]} if template_meta.get("annotations") else {}),
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"],
                                 "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}]},
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": "BestEffort", "conditions": [_condition("PodScheduled", True, now)]},
    }


def _template_hash(deployment: dict) -> str:
    template = json.dumps(deployment.get("spec", {}).get("template") or {}, sort_keys=True)
    digest = int.from_bytes(hashlib.sha256(template.encode()).digest()[:8], "big")
    chars = []
    for _ in range(10):
        digest, index = divmod(digest, len(_SAFE_ALPHABET))
        chars.append(_SAFE_ALPHABET[index])
    return "".join(chars)


def _desired(deployment: dict) -> int:
    replicas = deployment.get("spec", {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def _deployment_owner(pod: dict) -> str | None:
    for ref in pod.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("kind") == "Deployment" and ref.get("controller"):
            return ref.get("name")
    return None


def _negated(timestamp: str) -> tuple:
    """Sort key that puts later RFC 3339 timestamps first."""
    return tuple(-ord(ch) for ch in timestamp)


def _is_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions") or [])


def _condition(kind: str, status: bool, now: str) -> dict:
    return {"type": kind, "status": "True" if status else "False", "lastProbeTime": None, "lastTransitionTime": now}


def _merge_conditions(previous: list[dict], wanted: dict[str, bool], now: str) -> list[dict]:
    """Wanted condition values, keeping lastTransitionTime where the status did not change."""
    old = {c.get("type"): c for c in previous}
    merged = []
    for kind, status in wanted.items():
        condition = _condition(kind, status, now)
        if old.get(kind, {}).get("status") == condition["status"]:
            condition["lastTransitionTime"] = old[kind].get("lastTransitionTime", now)
        merged.append(condition)
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


def _ready_delay(pod: dict, ready_delay: float) -> float:
    delays = [float(c["readinessProbe"].get("initialDelaySeconds") or 0)
              for c in pod["spec"].get("containers") or [] if c.get("readinessProbe")]
    return max([ready_delay, *delays])


def _probe(container: dict, ip: str) -> bool:
    """One readiness probe: httpGet must answer 2xx/3xx, tcpSocket must accept; others pass."""
    probe = container.get("readinessProbe") or {}
    timeout = float(probe.get("timeoutSeconds") or 1)
    try:
        if "httpGet" in probe:
            action = probe["httpGet"]
            connection = http.client.HTTPConnection(ip, _container_port(container, action.get("port")),
                                                    timeout=timeout)
            try:
                connection.request("GET", action.get("path") or "/",
                                   headers={h["name"]: h["value"] for h in action.get("httpHeaders") or []})
                return 200 <= connection.getresponse().status < 400
            finally:
                connection.close()
        if "tcpSocket" in probe:
            socket.create_connection((ip, _container_port(container, probe["tcpSocket"].get("port"))),
                                     timeout=timeout).close()
    except (OSError, http.client.HTTPException, ValueError):
        return False
    return True


def _container_port(container: dict, port: str | int | None) -> int:
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    for entry in container.get("ports") or []:
        if port is None or entry.get("name") == port:
            return int(entry["containerPort"])
    raise ValueError(f'container {container.get("name")} has no port named "{port}"')


def _pod_port(pod: dict, port: str | int | None) -> int:
    """A pod port: a number, a named containerPort, or None for the first declared port (else 80)."""
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    for container in pod.get("spec", {}).get("containers") or []:
        for entry in container.get("ports") or []:
            if port is None or entry.get("name") == port:
                return int(entry["containerPort"])
    if port is None:
        return 80
    raise ApiError(503, "ServiceUnavailable", f'pod "{pod["metadata"]["name"]}" has no port named "{port}"')


def _service_port(service: dict, port: str | int | None) -> dict:
    ports = service.get("spec", {}).get("ports") or []
    number = int(port) if isinstance(port, int) or (isinstance(port, str) and port.isdigit()) else None
    for entry in ports:
        if port is None or entry.get("name") == port or (number is not None and entry.get("port") == number):
            return entry
    if number is not None:
        return {"port": number}
    raise ApiError(503, "ServiceUnavailable",
                   f'no port "{port}" on service "{service["metadata"]["name"]}"')


def _log_container(pod: dict, container: str | None) -> str:
    names = [c["name"] for c in pod.get("spec", {}).get("containers") or []]
    pod_name = pod["metadata"]["name"]
    if container is None:
        if len(names) == 1:
            return names[0]
        raise ApiError(400, "BadRequest", f"a container name must be specified for pod {pod_name}, "
                                          f"choose one of: [{' '.join(names)}]")
    if container not in names:
        raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {pod_name}")
    return container


def _port_free(ip: str, port: int) -> bool:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def _stop_containers(running: list[containers.RunningContainer]) -> None:
    """Stop containers in parallel; each stop is bounded, so this never hangs."""
    threads = [threading.Thread(target=_stop_quietly, args=(c,), daemon=True) for c in running]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5.0)


def _stop_quietly(container: containers.RunningContainer) -> None:
    try:
        container.stop()
    except Exception:
        _log.exception("stopping a container failed")
