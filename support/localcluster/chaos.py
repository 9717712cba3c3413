"""Chaos on the embedded cluster (`-D chaos=...`, off by default): the faults a real cluster has.

    -D chaos=errors,latency,pod-kill,controller-restart,watch-drop   (or `all`; options rate=0.05, seed=1)

- errors: a fraction (`rate`) of API requests is answered 429 Too Many Requests with Retry-After
  (any verb), 500 on reads, or 409 Conflict on updates (PUT, where optimistic concurrency
  conflicts happen); 5xx on writes is not injected: a client cannot know whether the write
  happened, so it has no safe retry and the spec would fail for the fault, not the model.
- latency: a fraction of API requests waits 10-60 ms (real time) before it is served.
- pod-kill: every 90-150 s of cluster time a running pod of a namespace the suite created is
  deleted (its ReplicaSet starts another, which the suite must feed its load again).
- controller-restart: every 150-250 s of cluster time the controller pod is deleted.
- watch-drop: every 45-75 s of cluster time the server ends one open watch stream early.

Everything is seeded: a request's fate is a hash of (seed, verb, path, how many such requests
came before), the mid-scenario events' times and victims come from a seeded generator, so a
run under the same seed meets the same faults. The random part of a scenario's namespace
(`budspec-scaling-3fa9c1`) is left out of the path, or no two runs would. Pod proxy and log requests (the mock programs'
own endpoints) are left alone.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from collections import Counter
from typing import Callable

from support.chaos import ChaosPlan
from support.localcluster.apiserver.request import Request, Response
from support.localcluster.errors import ApiError

RETRY_AFTER_SECONDS = 1
RANDOM_NAMESPACE_PART = re.compile(r"(/namespaces/[a-z0-9-]+?)-[0-9a-f]{6}(?=/|$)")  # support/scenario.py's names
PERIODS = {"pod-kill": (90.0, 150.0), "controller-restart": (150.0, 250.0), "watch-drop": (45.0, 75.0)}
CONTROLLER_LABEL = ("control-plane", "controller-manager")
READS = ("GET", "HEAD")


class ApiFaults:
    """The API server's fault hook: an injected answer for a request, or None to serve it."""

    def __init__(self, plan: ChaosPlan, sleep: Callable[[float], None] = time.sleep):
        self.plan, self._sleep = plan, sleep
        self._seen: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()  # what was injected, for the run's summary

    def __call__(self, request: Request) -> Response | None:
        if "/proxy" in request.path or request.path.endswith("/log"):
            return None
        path = RANDOM_NAMESPACE_PART.sub(r"\1", request.path)
        key = (request.method, path)
        with self._lock:
            nth = self._seen[key]
            self._seen[key] += 1
        draw = _uniform(self.plan.seed, request.method, path, nth)
        if self.plan.has("latency") and _uniform(self.plan.seed, "latency", path, nth) < self.plan.rate:
            self._sleep(0.01 + 0.05 * draw)
            self._count("latency")
        if not self.plan.has("errors") or draw >= self.plan.rate:
            return None
        return self._error(request, draw / self.plan.rate if self.plan.rate else 0.0)

    def _error(self, request: Request, pick: float) -> Response | None:
        watch = request.query.get("watch") in ("true", "1")
        if request.method == "PUT" and pick < 0.5:
            self._count("409")
            return Response.json(409, ApiError(409, "Conflict", "Operation cannot be fulfilled: the object has "
                                                "been modified; please apply your changes to the latest version "
                                                "and try again (chaos)").status())
        if request.method in READS and not watch and pick < 0.5:
            self._count("500")
            return Response.json(500, ApiError(500, "InternalError", "an error on the server (chaos) has "
                                                "prevented the request from succeeding").status())
        self._count("429")
        return Response.json(429, ApiError(429, "TooManyRequests", "too many requests, please try again later "
                                            "(chaos)").status(), headers=[("Retry-After", str(RETRY_AFTER_SECONDS))])

    def _count(self, what: str) -> None:
        with self._lock:
            self.injected[what] += 1


def _uniform(seed: int, *parts: object) -> float:
    digest = hashlib.blake2b("\x1f".join(map(str, (seed, *parts))).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2 ** 64


class Disruptions:
    """Mid-scenario events on the cluster's clock: pods killed, the controller restarted, watches dropped."""

    def __init__(self, plan: ChaosPlan, clock, store, api, delete_pod: Callable[[str, str], None]):
        self.plan, self._clock, self._store, self._api, self._delete_pod = plan, clock, store, api, delete_pod
        self._random = random.Random(plan.seed)
        self._timers: list = []
        self._stopped = False
        self.happened: Counter[str] = Counter()

    def start(self) -> None:
        actions = {"pod-kill": self._kill_pod, "controller-restart": self._restart_controller,
                   "watch-drop": self._drop_watch}
        for fault, action in actions.items():
            if self.plan.has(fault):
                self._every(fault, action)

    def stop(self) -> None:
        self._stopped = True
        for timer in self._timers:
            timer.cancel()

    def _every(self, fault: str, action: Callable[[], bool]) -> None:
        low, high = PERIODS[fault]

        def fire() -> None:
            if self._stopped:
                return
            try:
                if action():
                    self.happened[fault] += 1
            finally:
                self._every(fault, action)

        self._timers = [t for t in self._timers if t is not None][-16:]
        self._timers.append(self._clock.call_later(self._random.uniform(low, high), fire))

    def _running_pods(self, wanted: Callable[[dict, dict], bool]) -> list[dict]:
        namespaces = {n["metadata"]["name"]: n for n in self._store.list("Namespace", None)}
        pods = [p for p in self._store.list("Pod", None)
                if p.get("status", {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
                and wanted(p, namespaces.get(p["metadata"]["namespace"], {}))]
        return sorted(pods, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))

    def _kill(self, pods: list[dict]) -> bool:
        if not pods:
            return False
        victim = self._random.choice(pods)["metadata"]
        self._delete_pod(victim["namespace"], victim["name"])
        return True

    def _kill_pod(self) -> bool:
        key, value = "app.kubernetes.io/managed-by", "budaiscaler-spec"  # namespaces the suite created
        return self._kill(self._running_pods(
            lambda pod, ns: ns.get("metadata", {}).get("labels", {}).get(key) == value))

    def _restart_controller(self) -> bool:
        key, value = CONTROLLER_LABEL
        return self._kill(self._running_pods(lambda pod, ns: pod["metadata"].get("labels", {}).get(key) == value))

    def _drop_watch(self) -> bool:
        streams = self._api.watches.streams()
        if not streams:
            return False
        self._random.choice(sorted(streams, key=lambda s: (s.spec.kind, s.spec.feed_id or ""))).close()
        return True
