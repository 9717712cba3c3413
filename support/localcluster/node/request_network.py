"""Client request load to Services, modelled on the cluster clock (issue 9 item 6).

On a real cluster the load generator's clients send one chat completion after
another over the cluster network, and the llm-d inference simulator behind the
Service serves them: its running and waiting requests and its KV-cache usage follow
from the requests it gets. On the embedded cluster one HTTP call per request on
the virtual clock would cost thousands of calls per scenario, and a client thread
racing the clock would make arrival times depend on the machine. So the node
offers programs this network instead (the load generator takes it when its
`create_server` has a `network` parameter): a run of N closed-loop clients to a
Service URL becomes a `ClientLoad` of the pure `LoadSimulation` for that Service,
which hands each request to the Service's Ready endpoint pods in turn and keeps one
vLLM `Engine` per pod. The emulated simulator reports its pod's engine
(`metrics`): the numbers follow from the requests that pod received, when it
received them, on the virtual clock. Nothing is set from outside.

The Service is found as cluster DNS would (`name`, `name.namespace`,
`name.namespace.svc[.cluster.local]`), its port mapped to the pods' target port; its
endpoints are the Ready, not deleted pods it selects whose container on that port is
the inference simulator (the engine's parameters are that container's flags). Pods
joining or leaving are followed from the store's events, at the time they happen.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Protocol
from urllib.parse import urlsplit

from support.kube.pods import container_port
from support.localcluster.access import DELETED, ClusterAccess
from support.reference.request_load import ClientLoad, LoadSimulation, LoadStats
from support.reference.vllm_engine import EngineMetrics, EngineParams

ServeEngine = Callable[[dict], EngineParams | None]  # a container spec -> its engine, None: not an engine


class Clock(Protocol):
    def now(self) -> float: ...


class ServiceUnreachable(LookupError):
    """The URL names no Service of the namespace that serves the inference simulator."""


@dataclass(frozen=True)
class _Route:
    namespace: str
    service: str
    port: int


class ClientRun:
    """One run of clients on the network: its counts, and a way to end it early."""

    def __init__(self, network: "RequestNetwork", simulation: LoadSimulation, index: int):
        self._network, self._simulation, self._index = network, simulation, index

    def stats(self) -> tuple[LoadStats, bool]:
        """What the clients sent, got answered and still wait for; whether they still run."""
        return self._network._stats(self._simulation, self._index)

    def stop(self) -> None:
        self._network._end(self._simulation, self._index)


class NamespaceClients:
    """The network as a pod of one namespace sees it (Service names resolve in its namespace)."""

    def __init__(self, network: "RequestNetwork", namespace: str):
        self._network, self._namespace = network, namespace

    def start_clients(self, url: str, clients: int, duration: float, prompt_tokens: int,
                      output_tokens: int) -> ClientRun:
        """`clients` closed-loop clients sending to `url` for `duration` from now; ServiceUnreachable if no route."""
        return self._network.start_clients(self._namespace, url, clients, duration, prompt_tokens, output_tokens)

    def metrics(self, pod: str) -> EngineMetrics | None:
        """What the engine of `pod` (of this namespace) reports now; None if no client load reached it."""
        return self._network.metrics(self._namespace, pod)


class RequestNetwork:
    def __init__(self, access: ClusterAccess, clock: Clock, engine_of: ServeEngine):
        self._access, self._clock, self._engine_of = access, clock, engine_of
        self._lock = threading.RLock()
        self._simulations: dict[_Route, LoadSimulation] = {}
        self._endpoints: dict[_Route, list[str]] = {}

    def start(self) -> None:
        self._access.subscribe(self._on_event)

    def stop(self) -> None:
        self._access.unsubscribe(self._on_event)

    def for_namespace(self, namespace: str) -> NamespaceClients:
        return NamespaceClients(self, namespace)

    def metrics(self, namespace: str, pod: str) -> EngineMetrics | None:
        """What the pod's engine reports now, or None if no client load ever reached it."""
        now = self._clock.now()
        with self._lock:
            readings = [simulation.metrics(pod, now) for route, simulation in self._simulations.items()
                        if route.namespace == namespace and pod in self._endpoints.get(route, ())]
        if not readings:
            return None
        return EngineMetrics(sum(r.running for r in readings), sum(r.waiting for r in readings),
                             min(1.0, sum(r.kv_cache_usage for r in readings)))

    # -- clients ------------------------------------------------------------------------
    def start_clients(self, namespace: str, url: str, clients: int, duration: float,
                      prompt_tokens: int, output_tokens: int) -> ClientRun:
        route = self._route(namespace, url)
        now = self._clock.now()
        with self._lock:
            simulation = self._simulations.get(route)
            if simulation is None:
                simulation = self._simulations[route] = LoadSimulation(self._params(route))
                self._endpoints[route] = []
                self._refresh(route, now)
            index = simulation.add_load(ClientLoad(clients, now, duration, prompt_tokens, output_tokens))
            simulation.advance(now)
        return ClientRun(self, simulation, index)

    def _stats(self, simulation: LoadSimulation, index: int) -> tuple[LoadStats, bool]:
        now = self._clock.now()
        with self._lock:
            return simulation.load_stats(index, now), simulation.load_active(index, now)

    def _end(self, simulation: LoadSimulation, index: int) -> None:
        with self._lock:
            simulation.end_load(index, self._clock.now())

    # -- the Service and its endpoints --------------------------------------------------
    def _route(self, namespace: str, url: str) -> _Route:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        name, _, rest = host.partition(".")
        if rest and rest.split(".")[0] != namespace:
            namespace = rest.split(".")[0]
        if rest and rest not in (namespace, f"{namespace}.svc", f"{namespace}.svc.cluster.local"):
            raise ServiceUnreachable(f"{host} is not a Service name the cluster's DNS would resolve "
                                     f"(name, name.namespace or name.namespace.svc.cluster.local)")
        service = self._access.get("Service", namespace, name)
        if service is None:
            raise ServiceUnreachable(f"no Service {name!r} in namespace {namespace!r} (from {url})")
        if not any(p.get("port") == port for p in (service.get("spec") or {}).get("ports") or []):
            raise ServiceUnreachable(f"Service {name!r} has no port {port} (from {url})")
        return _Route(namespace, name, port)

    def _params(self, route: _Route) -> EngineParams:
        """The engine of the first endpoint's simulator container (the simulator's defaults if none yet)."""
        for pod, container in self._serving(route):
            return self._engine_of(container) or EngineParams()
        return EngineParams()

    def _serving(self, route: _Route) -> list[tuple[dict, dict]]:
        """(pod, container on the target port) of the pods the Service selects, by name; [] if it is gone."""
        service = self._access.get("Service", route.namespace, route.service)
        if service is None:
            return []
        spec = service.get("spec") or {}
        selector = spec.get("selector") or {}
        target = next((p.get("targetPort", p.get("port")) for p in spec.get("ports") or []
                       if p.get("port") == route.port), None)
        if not selector or target is None:
            return []
        pods = self._access.list("Pod", route.namespace,
                                 lambda labels: all(labels.get(k) == v for k, v in selector.items()))
        found = []
        for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
            number = container_port(pod, target)
            container = next((c for c in (pod.get("spec") or {}).get("containers") or []
                              if any(p.get("containerPort") == number for p in c.get("ports") or [])), None)
            if container is not None:
                found.append((pod, container))
        return found

    def _refresh(self, route: _Route, now: float) -> None:
        ready = [pod["metadata"]["name"] for pod, container in self._serving(route)
                 if _ready(pod) and self._engine_of(container) is not None]
        if ready != self._endpoints[route]:
            self._endpoints[route] = ready
            self._simulations[route].set_pods(now, ready)

    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        if kind not in ("Pod", "Service"):
            return
        namespace = obj["metadata"].get("namespace")
        with self._lock:
            routes = [r for r in self._simulations if r.namespace == namespace]
            if not routes:
                return
            now = self._clock.now()
            for route in routes:
                if kind == "Service" and event == DELETED and obj["metadata"]["name"] == route.service:
                    # its clients' connections fail from now on; the network forgets the Service
                    self._simulations.pop(route).set_pods(now, [])
                    del self._endpoints[route]
                else:
                    self._refresh(route, now)


def _ready(pod: dict) -> bool:
    if pod["metadata"].get("deletionTimestamp"):
        return False
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
