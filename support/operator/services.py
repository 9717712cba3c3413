"""Reaching a Service by its cluster DNS name, as the GPU step does (catalogue §5.1).

BudAIScaler reads its DCGM exporter at `http://mock-dcgm-exporter.<ns>.svc.cluster.local:9400`.
In a pod the cluster's DNS resolves that name and kube-proxy forwards the port. Where
there is no cluster DNS (the embedded cluster, the project's own control plane, an
operator run from a laptop), the operator can instead find the Service through the
API and talk to one of its ready endpoints directly. Which one it does is injected:

- `system_dns`: the URL is used as it is (the default; what BudAIScaler does);
- `api_endpoints`: `<service>.<namespace>.svc[.cluster.local]:<port>` is looked up as
  the Service's selector and port, and mapped to the first ready pod (by name) that
  the selector matches, at the Service port's target port (Services are read from a
  Services informer, started when a Service name is first resolved; where it cannot
  start, e.g. no list/watch permission, each lookup GETs the Service). For a cluster Service name
  with no such Service, port or ready pod, `url` raises `NoEndpoint` at once, as the
  cluster's DNS and kube-proxy would refuse it at once; asking the system resolver
  instead would cost a real-time DNS timeout on every tick. Other names stay as they are.
"""

from __future__ import annotations

import re
from typing import Callable, Protocol
from urllib.parse import urlsplit, urlunsplit

from kubernetes.client.exceptions import ApiException

from support.kube.api import SERVICE, KubeApi
from support.kube.informer import Informer
from support.kube.pods import container_port

_SERVICE_HOST = re.compile(r"^(?P<name>[a-z0-9-]+)\.(?P<namespace>[a-z0-9-]+)\.svc(?:\.cluster\.local)?\.?$")


class NoEndpoint(LookupError):
    """A cluster Service name this cluster has no ready endpoint for."""


class ServiceResolver(Protocol):
    def url(self, url: str) -> str:
        """The URL to use for `url`; raises NoEndpoint for a Service that cannot be reached."""


    def close(self) -> None:
        """Stop what the resolver started (the operator is stopping)."""


ResolverFactory = Callable[[KubeApi, Informer, object], ServiceResolver]  # (api, pods informer, clock)


class _AsIs:
    def url(self, url: str) -> str:
        return url

    def close(self) -> None:
        pass


def system_dns(api: KubeApi, pods: Informer, clock: object = None) -> ServiceResolver:
    """Service names resolved by the system's resolver (the cluster DNS in a pod)."""
    return _AsIs()


class ServiceReader(Protocol):
    def get(self, namespace: str, name: str) -> dict | None: ...

    def stop(self) -> None: ...


class ApiEndpoints:
    """Service names resolved through the API: the Service's ready pods and target port."""

    def __init__(self, api: KubeApi, pods: Informer, services: Callable[[], ServiceReader | None] = lambda: None):
        self._api, self._pods = api, pods
        self._start_services, self._services, self._started = services, None, False

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        match = _SERVICE_HOST.match(parts.hostname or "")
        if match is None:
            return url
        port = parts.port or 80
        address = self._endpoint(match["namespace"], match["name"], port)
        if address is None:
            raise NoEndpoint(f"no ready endpoint of Service {match['namespace']}/{match['name']} port {port}")
        return urlunsplit(parts._replace(netloc=f"{address[0]}:{address[1]}"))

    def close(self) -> None:
        if self._services is not None:
            self._services.stop()

    def _service(self, namespace: str, name: str) -> dict | None:
        """From the Services informer (a GET every reconcile cost more than the rest of the GPU step)."""
        if not self._started:
            self._started, self._services = True, self._start_services()
        if self._services is not None:
            return self._services.get(namespace, name)
        return self._api.get_or_none(SERVICE, namespace, name)

    def _endpoint(self, namespace: str, name: str, port: int) -> tuple[str, int] | None:
        try:
            service = self._service(namespace, name)
        except ApiException:
            return None
        spec = (service or {}).get("spec") or {}
        selector = spec.get("selector")
        service_port = next((p for p in spec.get("ports") or [] if p.get("port") == port), None)
        if not selector or service_port is None:
            return None
        target = service_port.get("targetPort", port)
        ready = sorted((p for p in self._pods.list(namespace, selector) if _ready(p)),
                       key=lambda p: p["metadata"]["name"])
        for pod in ready:
            number = container_port(pod, target)
            if number is not None:
                return pod["status"]["podIP"], number
        return None


def api_endpoints(api: KubeApi, pods: Informer, clock: object = None) -> ServiceResolver:
    def services() -> Informer | None:
        informer = Informer(api, SERVICE, clock, name="services")
        try:
            return informer.start()
        except (ApiException, RuntimeError):  # not allowed to list/watch Services: GET each one
            informer.stop()
            return None
    return ApiEndpoints(api, pods, services if clock is not None else lambda: None)


RESOLVERS: dict[str, ResolverFactory] = {"dns": system_dns, "api": api_endpoints}


def _ready(pod: dict) -> bool:
    status = pod.get("status") or {}
    return (not pod["metadata"].get("deletionTimestamp") and bool(status.get("podIP"))
            and any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []))
