"""`pods/log`, and `pods/proxy` and `services/proxy`, as kube-apiserver serves them.

The proxy relays to the pod's address from its status (a service: to one of its
Ready pods, round robin); nothing listening there is a 503. Logs come from the node.
"""

from __future__ import annotations

import http.client
import itertools
from typing import Protocol

from support.localcluster.apiserver.request import Request, Response, Target, method_not_allowed, object_not_found
from support.localcluster.errors import ApiError, not_found
from support.localcluster.store import Store

PROXY_TIMEOUT = 10.0  # real seconds


class PodLogs(Protocol):
    """The node's side of `pods/log` (the kubelet's /containerLogs)."""

    def pod_log(self, namespace: str, pod_name: str, container: str | None, tail_lines: int | None) -> str: ...


class Proxy:
    def __init__(self, store: Store, logs: PodLogs | None):
        self._store, self._logs = store, logs
        self._round_robin = itertools.count()

    def log(self, request: Request, target: Target) -> Response:
        if request.method != "GET":
            raise method_not_allowed()
        if self._store.peek("Pod", target.namespace, target.name) is None:
            raise object_not_found(target.resource, target.name)
        if self._logs is None:
            raise ApiError(503, "ServiceUnavailable", "no node runs pods in this cluster")
        tail = request.query.get("tailLines")
        text = self._logs.pod_log(target.namespace, target.name, request.query.get("container"),
                                  int(tail) if tail not in (None, "") else None)
        return Response(200, text.encode(), "text/plain")

    def proxy(self, request: Request, target: Target) -> Response:
        name, port = _split_name_port(target.name)
        lookup = self.pod_endpoint if target.resource.kind == "Pod" else self.service_endpoint
        host, host_port = lookup(target.namespace, name, port)
        path = target.rest + (f"?{request.raw_query}" if request.raw_query else "")
        return forward(request, host, host_port, path)

    def pod_endpoint(self, namespace: str, pod_name: str, port: str | int | None) -> tuple[str, int]:
        pod = self._store.peek("Pod", namespace, pod_name)
        if pod is None:
            raise not_found("Pod", pod_name)
        status = pod.get("status") or {}
        if status.get("phase") != "Running" or not status.get("podIP"):
            raise ApiError(503, "ServiceUnavailable",
                           f'pod "{pod_name}" is not running (phase {status.get("phase", "Pending")})')
        return status["podIP"], pod_port(pod, port)

    def service_endpoint(self, namespace: str, service_name: str, port: str | int | None) -> tuple[str, int]:
        service = self._store.peek("Service", namespace, service_name)
        if service is None:
            raise not_found("Service", service_name)
        service_port = _service_port(service, port)
        candidates = [pod for pod in self._selected_pods(service)
                      if _is_ready(pod) and (pod.get("status") or {}).get("podIP")]
        if not candidates:
            raise ApiError(503, "ServiceUnavailable", f'no endpoints available for service "{service_name}"')
        pod = candidates[next(self._round_robin) % len(candidates)]
        target = service_port.get("targetPort", service_port.get("port"))
        return pod["status"]["podIP"], pod_port(pod, target)

    def _selected_pods(self, service: dict) -> list[dict]:
        selector = service.get("spec", {}).get("selector") or {}
        if not selector:
            return []
        pods, _ = self._store.list_refs("Pod", service["metadata"].get("namespace", ""))
        return [p for p in pods if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())]


def forward(request: Request, host: str, port: int, path: str) -> Response:
    """Relay one request to http://host:port/path (what pod and service proxy do)."""
    headers = {k: v for k, v in request.headers.items() if k in ("content-type", "accept")}
    connection = http.client.HTTPConnection(host, port, timeout=PROXY_TIMEOUT)
    try:
        connection.request(request.method, path, body=request.body or None, headers=headers)
        reply = connection.getresponse()
        data = reply.read()
    except ConnectionRefusedError:  # nothing listens there (yet): kube-apiserver's words
        raise ApiError(503, "ServiceUnavailable",
                       f"error trying to reach service: dial tcp {host}:{port}: connect: connection refused") from None
    except (OSError, http.client.HTTPException) as error:
        raise ApiError(503, "ServiceUnavailable",
                       f"error trying to reach service: dial tcp {host}:{port}: {error}") from None
    finally:
        connection.close()
    return Response(reply.status, data, reply.getheader("Content-Type", "text/plain"))


def pod_port(pod: dict, port: str | int | None) -> int:
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
    raise ApiError(503, "ServiceUnavailable", f'no port "{port}" on service "{service["metadata"]["name"]}"')


def _split_name_port(name: str) -> tuple[str, str | int | None]:
    """`NAME`, `NAME:PORT` or `SCHEME:NAME:PORT` -> (name, port)."""
    parts = name.split(":")
    if len(parts) == 3:
        parts = parts[1:]
    port = parts[1] if len(parts) > 1 and parts[1] else None
    return parts[0], int(port) if port and port.isdigit() else port


def _is_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])
