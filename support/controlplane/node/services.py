"""Services for pods: ClusterIP forwarding, as kube-proxy does, and the names cluster DNS answers.

The agent follows every Service. One with a ClusterIP and a selector gets its ClusterIP on the
node's bridge and a relay on each of its TCP ports there; a connection goes to a ready pod the
selector matches (round robin), at the port's targetPort (a number, or a container port's name).
`addresses(namespace, name)` is what DNS answers (dns.py): the ClusterIP, or for a headless
Service its ready pods' addresses. Endpoints come from the pods this node runs (it is the only
node), so no EndpointSlice controller is needed.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Callable, Protocol

from support.controlplane import network
from support.controlplane.node.service_proxy import Relay
from support.kube.pods import container_port


class ReadyPods(Protocol):
    def ready_pods(self, namespace: str) -> list[tuple[dict, str]]: ...  # (pod, its address), Ready only


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    cluster_ip: str | None            # None: headless (or not allocated)
    selector: tuple[tuple[str, str], ...] | None
    ports: tuple[tuple[int, int | str], ...]   # (port, targetPort) of its TCP ports

    @classmethod
    def from_object(cls, obj: dict) -> "Service":
        spec = obj.get("spec") or {}
        ip = spec.get("clusterIP")
        selector = spec.get("selector")
        ports = tuple((p["port"], p.get("targetPort", p["port"])) for p in spec.get("ports") or []
                      if p.get("protocol", "TCP") == "TCP")
        return cls(obj["metadata"]["namespace"], obj["metadata"]["name"],
                   ip if ip and ip != "None" else None,
                   tuple(sorted(selector.items())) if selector else None, ports)

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.name

    def forwarded(self) -> bool:
        """Relayed here: a ClusterIP in the Service range (the kubernetes Service has its own relay) and a selector."""
        return (self.cluster_ip is not None and self.selector is not None
                and self.cluster_ip != str(network.KUBERNETES_SERVICE_IP))

    def selects(self, pod: dict) -> bool:
        labels = pod["metadata"].get("labels") or {}
        return all(labels.get(key) == value for key, value in self.selector or ())


class ServiceTable:
    def __init__(self, pods: ReadyPods, say: Callable[[str], None]):
        self._pods, self._say = pods, say
        self._lock = threading.Lock()
        self._services: dict[tuple[str, str], Service] = {}
        self._relays: dict[tuple[str, str], list[Relay]] = {}
        self._turn = itertools.count()

    # -- following the API -------------------------------------------------------------------------
    def handle(self, kind: str, obj: dict) -> None:
        service = Service.from_object(obj)
        with self._lock:
            before = self._services.get(service.key)
            if kind == "DELETED":
                self._services.pop(service.key, None)
                self._stop_relays(service.key, before)
            elif before != service:
                self._stop_relays(service.key, before)
                self._services[service.key] = service
                self._start_relays(service)

    def replace_all(self, objects: list[dict]) -> None:
        """After a relist: what is listed, and nothing else."""
        listed = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects}
        with self._lock:
            gone = [s for key, s in self._services.items() if key not in listed]
        for service in gone:
            self.handle("DELETED", {"metadata": {"namespace": service.namespace, "name": service.name}})
        for obj in objects:
            self.handle("MODIFIED", obj)

    def close(self) -> None:
        with self._lock:
            for key, service in list(self._services.items()):
                self._stop_relays(key, service)
            self._services.clear()

    # -- what pods ask ------------------------------------------------------------------------------
    def addresses(self, namespace: str, name: str) -> list[str]:
        with self._lock:
            service = self._services.get((namespace, name))
        if service is None:
            return []
        if service.cluster_ip is not None:
            return [service.cluster_ip]
        return sorted(address for pod, address in self._pods.ready_pods(namespace) if service.selects(pod))

    def endpoint(self, service: Service, target: int | str) -> tuple[str, int] | None:
        """A ready pod of the Service, round robin, at the target port (None: none is ready)."""
        candidates = [(address, port) for pod, address in self._pods.ready_pods(service.namespace)
                      if service.selects(pod) and (port := container_port(pod, target)) is not None]
        if not candidates:
            return None
        return sorted(candidates)[next(self._turn) % len(candidates)]

    # -- relays ---------------------------------------------------------------------------------------
    def _start_relays(self, service: Service) -> None:
        if not service.forwarded():
            return
        relays = []
        try:
            network.add_service_address(service.cluster_ip)
            for port, target in service.ports:
                relays.append(Relay((service.cluster_ip, port), lambda t=target: self.endpoint(service, t),
                                    name=f"service-{service.namespace}/{service.name}:{port}"))
        except (OSError, network.NetworkError) as error:
            self._say(f"could not forward Service {service.namespace}/{service.name} "
                      f"({service.cluster_ip}): {error}")
        self._relays[service.key] = relays

    def _stop_relays(self, key: tuple[str, str], service: Service | None) -> None:
        for relay in self._relays.pop(key, []):
            relay.close()
        if service is not None and service.forwarded():
            network.remove_service_address(service.cluster_ip)
