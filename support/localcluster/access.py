"""How the in-process parts of a cluster (built-in controllers, the node agent) reach it.

`ClusterAccess` is the small protocol they use: read, write, and subscribe to
changes. The embedded cluster's `Store` implements it directly (synchronous and
deterministic); the node agent of the real control plane (issue 7) implements it
over the official client and a watch. Errors are `errors.ApiError` (404, 409...).

`WorkQueue` serialises their reactions: each store event becomes a work item;
whichever thread finds the queue idle drains it, everyone else only enqueues and
returns. So work runs one item at a time, nothing waits for another thread, and
a component's own writes can notify it without recursion.

`EventRecorder` writes core/v1 Events the way controllers and the kubelet do.
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
from typing import Callable, Protocol

from support.clock import rfc3339
from support.localcluster.errors import ApiError

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"

Listener = Callable[[str, str, dict], None]  # (event type, kind, object)
LabelFilter = Callable[[dict], bool]  # labels -> selected?

_log = logging.getLogger(__name__)


class ClusterAccess(Protocol):
    """Objects are dicts shaped like Kubernetes JSON; kinds are Kind strings (`Pod`, `Deployment`)."""

    def get(self, kind: str, namespace: str | None, name: str) -> dict | None: ...

    def list(self, kind: str, namespace: str | None = None, labels: LabelFilter | None = None) -> list[dict]: ...

    def create(self, kind: str, obj: dict) -> dict: ...

    def update(self, kind: str, obj: dict) -> dict: ...

    def update_status(self, kind: str, obj: dict) -> dict: ...

    def delete(self, kind: str, namespace: str | None, name: str) -> dict: ...

    def subscribe(self, listener: Listener) -> None: ...

    def unsubscribe(self, listener: Listener) -> None: ...


class Timer(Protocol):
    def cancel(self) -> None: ...


class TimerClock(Protocol):
    """The clock controllers and the node agent schedule on (a VirtualClock, driven in real time if need be)."""

    def now(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer: ...


class WorkQueue:
    """One item at a time, drained by whichever thread finds the queue idle."""

    def __init__(self) -> None:
        self._queue: collections.deque[Callable[[], None]] = collections.deque()
        self._lock = threading.Lock()
        self._draining = False
        self.stopped = False

    def submit(self, work: Callable[[], None]) -> None:
        with self._lock:
            self._queue.append(work)
            if self._draining:
                return
            self._draining = True
        self._drain()

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._draining = False
                    return
                work = self._queue.popleft()
            if self.stopped:
                continue
            try:
                work()
            except Exception:  # one bad object must not stall the cluster
                _log.exception("embedded cluster reconcile failed")


class EventRecorder:
    """Writes core/v1 Events about objects, as `component` on `host`."""

    def __init__(self, access: ClusterAccess, clock: TimerClock, host: str):
        self._access, self._clock, self._host = access, clock, host
        self._numbers = itertools.count(1)

    def emit(self, obj: dict, reason: str, component: str, message: str, *, warning: bool = False,
             field_path: str | None = None) -> None:
        meta, now = obj["metadata"], rfc3339(self._clock.now())
        if _terminating(self._access.get("Namespace", None, meta.get("namespace", "")) or {}):
            return  # no new content in a namespace being deleted
        involved = {"apiVersion": obj.get("apiVersion", "v1"), "kind": obj.get("kind", "Pod"),
                    "name": meta["name"], "namespace": meta.get("namespace", ""), "uid": meta.get("uid", "")}
        if field_path:
            involved["fieldPath"] = field_path
        event = {"apiVersion": "v1", "kind": "Event", "involvedObject": involved, "reason": reason,
                 "message": message, "type": "Warning" if warning else "Normal", "count": 1,
                 "source": {"component": component, "host": self._host}, "reportingComponent": component,
                 "reportingInstance": self._host, "firstTimestamp": now, "lastTimestamp": now}
        for _ in range(5):
            event["metadata"] = {"name": f"{meta['name']}.{next(self._numbers):016x}",
                                 "namespace": meta.get("namespace", "")}
            try:
                self._access.create("Event", event)
                return
            except ApiError as error:
                if error.code == 403:  # the namespace is terminating: no new content
                    return
                if error.code != 409:
                    raise


def _terminating(namespace: dict) -> bool:
    return (namespace.get("status") or {}).get("phase") == "Terminating"
