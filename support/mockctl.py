"""Drive mock servers over HTTP through the API server's pod proxy (no kubectl exec).

A `MockDriver` keeps, per workload, the ordered calls a scenario made (set the
metrics, set the pattern, set the time) and replays them on every pod of that
workload, including pods that appear later. A call must succeed on every Ready
pod (strict); Running pods that are not Ready yet (their server may not listen:
the pod proxy answers 503) get it when they can, through `keep_applied`, a
waiting duty that runs when pods change and says whether any pod still lacks
the calls, so new pods get the scenario's metrics before they are scraped.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Mapping
from urllib.parse import urlencode

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from support.cluster import Cluster, ProxyResponse, is_ready

PodLister = Callable[[str, str], list]  # (namespace, deployment) -> the Deployment's pods


class MockRequestError(RuntimeError):
    """A mock refused a request or could not be reached; the message says which pod and why."""


@dataclass(frozen=True)
class Workload:
    namespace: str
    deployment: str
    port: int

    def __str__(self) -> str:
        return f"{self.deployment}:{self.port}"


@dataclass
class _Plan:
    calls: list[tuple[str, dict]] = field(default_factory=list)
    version: int = 0

    def put(self, path: str, params: Mapping[str, object]) -> None:
        """Record a call; a later call to the same path replaces the earlier one (keeping order)."""
        self.calls = [c for c in self.calls if c[0] != path] + [(path, dict(params))]
        self.version += 1


class MockDriver:
    def __init__(self, cluster: Cluster, pods: PodLister | None = None):
        self._cluster = cluster
        self._pods = pods or cluster.workload_pods
        self._plans: dict[Workload, _Plan] = {}
        self._applied: dict[tuple[Workload, str], int] = {}  # (workload, pod uid) -> plan version
        self._lock = threading.Lock()
        self.listeners: list = []  # (workload, path, params) -> None, told of every call that took

    def close(self) -> None:
        """Nothing to release: calls go through the cluster's own client."""

    # -- what steps call ----------------------------------------------------------
    def set_on_every_pod(self, workload: Workload, path: str, **params: object) -> int:
        """Make `path?params` hold on every pod of the workload, now and for pods that appear later.

        Returns how many pods took it now. Raises MockRequestError if a Ready pod refused it.
        """
        with self._lock:
            plan = self._plans.setdefault(workload, _Plan())
            previous = list(plan.calls)
            plan.put(path, _clean(params))
        try:
            took = self._apply(workload, strict=True)
        except MockRequestError:
            with self._lock:  # a refused call must not be replayed on new pods
                plan.calls = previous
                plan.version += 1
            raise
        for listener in self.listeners:
            listener(workload, path, _clean(params))
        return took

    def tell_some_pods(self, workload: Workload, chosen: Callable[[dict], bool], path: str, **params: object) -> int:
        """GET `path?params` once on the running pods `chosen` picks, after the scenario's calls (not replayed,
        so it holds until the scenario's calls change); how many took it. Raises MockRequestError on a refusal."""
        with self._lock:
            self._plans.setdefault(workload, _Plan())
        self._apply(workload, strict=False)
        pods = [p for p in self._running_pods(workload) if chosen(p)]
        for pod in pods:
            if self._applied.get((workload, pod["metadata"]["uid"])) != self._plans[workload].version:
                raise MockRequestError(f"pod {pod['metadata']['name']} has not taken the scenario's earlier calls yet")
            self._check(self._get(workload, pod, path, _clean(params)), pod, path, _clean(params))
        return len(pods)

    def query(self, workload: Workload, path: str, **params: object) -> list[ProxyResponse]:
        """GET `path` on every running pod of the workload (e.g. /status); the responses, by pod."""
        return [self._get(workload, pod, path, _clean(params)) for pod in self._running_pods(workload)]

    def keep_applied(self) -> bool:
        """Waiting duty: replay each workload's calls on pods that lack them; False while one still does."""
        with self._lock:
            workloads = list(self._plans)
        return all([self._apply(workload, strict=False) >= 0 and self._complete(workload) for workload in workloads])

    # -- internals ------------------------------------------------------------------
    def _apply(self, workload: Workload, strict: bool) -> int:
        """Give the plan to every Running pod that lacks it; a refusal by a Ready pod raises when strict."""
        plan = self._plans[workload]
        done = 0
        for pod in self._running_pods(workload):
            key = (workload, pod["metadata"]["uid"])
            if self._applied.get(key) == plan.version:
                continue
            try:
                for path, params in plan.calls:
                    self._check(self._get(workload, pod, path, params), pod, path, params)
            except MockRequestError:
                if strict and is_ready(pod):
                    raise
                continue
            self._applied[key] = plan.version
            done += 1
        return done

    def _complete(self, workload: Workload) -> bool:
        version = self._plans[workload].version
        return all(self._applied.get((workload, p["metadata"]["uid"])) == version for p in self._running_pods(workload))

    def _running_pods(self, workload: Workload) -> list[dict]:
        pods = self._pods(workload.namespace, workload.deployment)
        return [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]

    def _get(self, workload: Workload, pod: dict, path: str, params: Mapping[str, object]) -> ProxyResponse:
        name = pod["metadata"]["name"]
        try:
            return self._cluster.proxy_get(workload.namespace, name, workload.port, path, list(params.items()))
        except (HTTPError, ApiException, OSError) as error:
            raise MockRequestError(f"could not reach {workload.deployment} pod {name} on port {workload.port} "
                                   f"through the API server's pod proxy: {error}. The API server must reach "
                                   f"pod port {workload.port} (a firewall, security group or NetworkPolicy may "
                                   "block it: see docs/real-cluster.md)") from None

    @staticmethod
    def _check(response: ProxyResponse, pod: dict, path: str, params: Mapping[str, object]) -> None:
        if response.status_code != 200:
            raise MockRequestError(f"pod {pod['metadata']['name']} answered {response.status_code} to "
                                   f"{path}?{urlencode(params)}: {response.text.strip()[:300]}")


def _clean(params: Mapping[str, object]) -> dict:
    return {k: _format(v) for k, v in params.items() if v is not None}


def _format(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
