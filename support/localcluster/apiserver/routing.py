"""The API server's entry: authentication, routing of paths to resources, discovery and
/version, and dispatch of each verb and subresource to its handler. `Api` knows nothing of
sockets (server.py serves it); all state lives in the store."""

from __future__ import annotations

from typing import Callable
from urllib.parse import unquote, urlsplit

from support.localcluster.apiserver import resources
from support.localcluster.apiserver.deletion import Deletes
from support.localcluster.apiserver.metrics import MetricsApis
from support.localcluster.apiserver.patch import Patches
from support.localcluster.apiserver.proxy import PodLogs, Proxy
from support.localcluster.apiserver.reads import Reads
from support.localcluster.apiserver.request import (Request, Response, Streaming, Target, method_not_allowed,
                                                     not_found_path, unauthorized)
from support.localcluster.apiserver.scale import Scales
from support.localcluster.apiserver.watch import WatchClock, Watches
from support.localcluster.apiserver.writes import Writes
from support.localcluster.errors import ApiError
from support.localcluster.store import Store

GIT_VERSION = "v1.31.0-budspec"
PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")
Handler = Callable[[Request, Target], "Response | Streaming"]


class Api:
    """Routes one Request to a Response. Thread-safe: all state lives in the Store."""

    def __init__(self, store: Store, clock: WatchClock, token: str, logs: PodLogs | None = None,
                 address: Callable[[], str] = lambda: "https://127.0.0.1", metrics: MetricsApis | None = None):
        self.store, self.token, self._address_url = store, token, address
        self.metrics = metrics  # the metrics APIs (metrics-server, a custom metrics adapter), if the cluster has them
        self.watches = Watches(store, clock)
        self.stopped = False  # set when the server shuts down: connections close after their request
        self.faults: Callable[[Request], Response | None] | None = None  # chaos: an injected answer, or None
        self.reads = Reads(store, clock, self.watches)
        self.writes = Writes(store, clock)
        self.scales = Scales(self.writes, self.reads.fetch)
        self.patches = Patches(store, clock, self.writes, self.scales)
        self.deletes = Deletes(store, self.reads)
        self.proxy = Proxy(store, logs)

    # -- entry ------------------------------------------------------------------------
    def handle(self, request: Request) -> Response | Streaming:
        if self.stopped:
            return Response.json(503, ApiError(503, "ServiceUnavailable", "the API server is shutting down").status())
        try:
            if request.path not in PUBLIC_PATHS and not self._authorized(request):
                raise unauthorized()
            if self.faults is not None and request.path not in PUBLIC_PATHS:
                injected = self.faults(request)
                if injected is not None:
                    return injected
            return self._route(request)
        except ApiError as error:
            return Response.json(error.code, error.status())
        except Exception as error:  # noqa: BLE001 - a server answers 500, it does not die
            return Response.json(500, ApiError(500, "InternalError", f"internal error: {error!r}").status())

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization", "") == f"Bearer {self.token}"

    def _route(self, request: Request) -> Response | Streaming:
        segments = request.path.lstrip("/").split("/")
        head = [s for s in segments[:3] if s]
        if not head:
            return Response.json(200, {"paths": ["/api", "/api/v1", "/apis", "/version"]})
        if head[0] in ("healthz", "livez", "readyz") and len(head) == 1:
            return Response(200, b"ok", "text/plain")
        if head == ["version"]:
            return Response.json(200, self._version())
        if head[0] == "api":
            return self._route_core(request, segments[1:])
        if head[0] == "apis":
            return self._route_groups(request, segments[1:])
        raise not_found_path()

    def _route_core(self, request: Request, segments: list[str]) -> Response | Streaming:
        if not [s for s in segments if s]:
            return self._discovery(request, {"kind": "APIVersions", "versions": ["v1"],
                                             "serverAddressByClientCIDRs": [
                                                 {"clientCIDR": "0.0.0.0/0", "serverAddress": self._address()}]})
        if segments[0] != "v1":
            raise not_found_path()
        return self._route_version(request, "", "v1", segments[1:])

    def _route_groups(self, request: Request, segments: list[str]) -> Response | Streaming:
        parts = [s for s in segments[:2] if s]
        if not parts:
            groups = resources.api_group_list(self.store)
            if self.metrics is not None:
                groups = {**groups, "groups": groups["groups"] + self.metrics.groups()}
            return self._discovery(request, groups)
        if self.metrics is not None and self.metrics.serves(parts[0]):
            return self.metrics.route(request, parts[0], parts[1] if len(parts) > 1 else None, segments[2:])
        if len(parts) == 1:
            return self._discovery(request, resources.api_group(self.store, parts[0]))
        return self._route_version(request, parts[0], parts[1], segments[2:])

    def _route_version(self, request: Request, group: str, version: str,
                       segments: list[str]) -> Response | Streaming:
        if not [s for s in segments if s]:
            return self._discovery(request, resources.resource_list(self.store, group, version))
        target = self._target(group, version, segments)
        return self._dispatch(request, target)

    def _discovery(self, request: Request, document: dict | None) -> Response:
        if document is None:
            raise not_found_path()
        if request.method != "GET":
            raise method_not_allowed()
        return Response.json(200, document)

    def _version(self) -> dict:
        return {"major": "1", "minor": "31", "gitVersion": GIT_VERSION, "gitCommit": "budspec",
                "gitTreeState": "clean", "buildDate": "2026-01-05T10:00:00Z", "goVersion": "go1.22.0",
                "compiler": "gc", "platform": "linux/amd64"}

    def _address(self) -> str:
        return urlsplit(self._address_url() or "https://127.0.0.1").netloc

    # -- path parsing ---------------------------------------------------------------------
    def _target(self, group: str, version: str, segments: list[str]) -> Target:
        namespace = None
        if segments[0] == "namespaces" and len(segments) >= 3 and segments[2] not in ("status", "finalize", ""):
            namespace, segments = unquote(segments[1]), segments[2:]
        resource = resources.lookup(self.store, group, version, segments[0])
        if resource is None:
            raise not_found_path()
        name = unquote(segments[1]) if len(segments) > 1 and segments[1] else None
        sub = segments[2] if len(segments) > 2 and segments[2] else None
        rest = unquote("/" + "/".join(segments[3:])) if len(segments) > 3 else "/"
        if sub is not None and sub not in resource.subresources:
            raise not_found_path()
        if sub != "proxy" and len([s for s in segments[3:] if s]) > 0:
            raise not_found_path()
        if (namespace is not None and not resource.namespaced) or (
                resource.namespaced and namespace is None and name is not None):
            raise not_found_path()
        return Target(resource, namespace, name, sub, rest)

    def _dispatch(self, request: Request, target: Target) -> Response | Streaming:
        if target.sub == "proxy":
            return self.proxy.proxy(request, target)
        if target.sub == "log":
            return self.proxy.log(request, target)
        handler = self._handlers(target).get(request.method)
        if handler is None:
            raise method_not_allowed()
        return handler(request, target)

    def _handlers(self, target: Target) -> dict[str, Handler]:
        if target.name is None:
            return {"GET": self.reads.list, "POST": self.writes.create, "DELETE": self.deletes.delete_collection}
        if target.sub == "scale":
            return {"GET": self.scales.get, "PUT": self.scales.put, "PATCH": self.patches.patch}
        if target.sub == "status":
            return {"GET": self.reads.get, "PUT": self.writes.put_status, "PATCH": self.patches.patch}
        if target.sub == "finalize":
            return {"PUT": self.deletes.finalize}
        return {"GET": self.reads.get, "PUT": self.writes.put, "PATCH": self.patches.patch,
                "DELETE": self.deletes.delete}
