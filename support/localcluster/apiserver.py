"""The embedded cluster's Kubernetes API server: a real HTTP server on 127.0.0.1.

It speaks the REST subset the official `kubernetes` client (typed APIs and the
DynamicClient) and `kubectl get` use: discovery, GET/LIST (label + field
selectors, Table output), POST, PUT, PATCH (json, merge, strategic merge,
server-side apply), DELETE with ownerReference cascade, the status, scale, log
and proxy subresources, bearer-token auth, and Kubernetes `Status` errors.

`Api` holds the logic and knows nothing of sockets; `ApiServer` puts it on HTTP,
or HTTPS when given a certificate (kubectl only sends a bearer token over TLS).
"""

from __future__ import annotations

import http.client
import json
import random
import re
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

from support.clock import SETTLE_HEADER
from support.localcluster import decoding, patching, resources, schema, tables, watch
from support.localcluster.resources import Resource
from support.localcluster.store import ApiError, bad_request

GIT_VERSION = "v1.31.0-budspec"
JSON = "application/json"
APPLY = "application/apply-patch+yaml"
PATCHERS: dict[str, Callable[[Any, Any], Any]] = {
    "application/json-patch+json": patching.json_patch,
    "application/merge-patch+json": patching.json_merge,
    "application/strategic-merge-patch+json": patching.strategic_merge,
    APPLY: patching.strategic_merge,
}
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # apply bodies: libyaml is ~20x faster
PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    raw_query: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""


@dataclass
class Response:
    code: int
    body: bytes
    content_type: str = JSON

    @classmethod
    def json(cls, code: int, payload: Any) -> "Response":
        return cls(code, json.dumps(payload).encode())


@dataclass
class Streaming:
    """A watch: the HTTP layer writes its events as chunks until it ends."""

    stream: watch.WatchStream
    code: int = 200
    content_type: str = JSON


@dataclass
class Target:
    """What a resource path names: /apis/G/V[/namespaces/NS]/PLURAL[/NAME[/SUB[/REST...]]]."""
    resource: Resource
    namespace: str | None
    name: str | None
    sub: str | None
    rest: str  # proxy path after SUB, with its leading slash


def not_found_path() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def method_not_allowed() -> ApiError:
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def resource_ref(resource: Resource) -> str:
    """`configmaps`, `deployments.apps`, `budaiscalers.scaler.bud.studio` (how messages name resources)."""
    return f"{resource.plural}.{resource.group}" if resource.group else resource.plural


def object_not_found(resource: Resource, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{resource_ref(resource)} "{name}" not found')


class Api:
    """Routes one Request to a Response. Thread-safe: all state lives in the Store."""

    def __init__(self, cluster: Any, token: str):
        self.cluster, self.token = cluster, token
        self.store = cluster.store
        self.watches = watch.Watches(self.store, cluster.clock)
        self.stopped = False  # set when the server shuts down: connections close after their request
        self._random = random.Random(20260105)
        self._lock = threading.Lock()
        self._next_ip = 1

    # -- entry ------------------------------------------------------------------------
    def handle(self, request: Request) -> Response | Streaming:
        if self.stopped:
            return Response.json(503, ApiError(503, "ServiceUnavailable", "the API server is shutting down").status())
        try:
            if request.path not in PUBLIC_PATHS and not self._authorized(request):
                raise unauthorized()
            return self._route(request)
        except ApiError as error:
            return Response.json(error.code, error.status())
        except Exception as error:  # noqa: BLE001 - a server answers 500, it does not die
            return Response.json(500, ApiError(500, "InternalError", f"internal error: {error!r}").status())

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization", "") == f"Bearer {self.token}"

    def _route(self, request: Request) -> Response:
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

    def _route_core(self, request: Request, segments: list[str]) -> Response:
        if not [s for s in segments if s]:
            return self._discovery(request, {"kind": "APIVersions", "versions": ["v1"],
                                             "serverAddressByClientCIDRs": [
                                                 {"clientCIDR": "0.0.0.0/0", "serverAddress": self._address()}]})
        if segments[0] != "v1":
            raise not_found_path()
        return self._route_version(request, "", "v1", segments[1:])

    def _route_groups(self, request: Request, segments: list[str]) -> Response:
        parts = [s for s in segments[:2] if s]
        if not parts:
            return self._discovery(request, resources.api_group_list(self.store))
        if len(parts) == 1:
            return self._discovery(request, resources.api_group(self.store, parts[0]))
        return self._route_version(request, parts[0], parts[1], segments[2:])

    def _route_version(self, request: Request, group: str, version: str, segments: list[str]) -> Response:
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
        return urlsplit(getattr(self.cluster, "server_url", "") or "http://127.0.0.1").netloc

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

    def _dispatch(self, request: Request, target: Target) -> Response:
        if target.sub == "proxy":
            return self._proxy(request, target)
        if target.sub == "log":
            return self._log(request, target)
        handler = self._handlers(target).get(request.method)
        if handler is None:
            raise method_not_allowed()
        return handler(request, target)

    def _handlers(self, target: Target) -> dict[str, Callable[[Request, Target], Response]]:
        if target.name is None:
            return {"GET": self._list, "POST": self._create, "DELETE": self._delete_collection}
        if target.sub == "scale":
            return {"GET": self._get_scale, "PUT": self._put_scale, "PATCH": self._patch}
        if target.sub == "status":
            return {"GET": self._get, "PUT": self._put_status, "PATCH": self._patch}
        return {"GET": self._get, "PUT": self._put, "PATCH": self._patch, "DELETE": self._delete}

    # -- reading --------------------------------------------------------------------------
    def _fetch(self, target: Target) -> dict:
        obj = self.store.get(target.resource.kind, target.namespace, target.name)
        if obj is None:
            raise object_not_found(target.resource, target.name)
        return obj

    def _get(self, request: Request, target: Target) -> Response | Streaming:
        if _is_watch(request):
            return self._watch(request, target)
        obj = self._fetch(target)
        if _wants_table(request):
            return self._table(request, target, [obj], obj["metadata"].get("resourceVersion", ""))
        return Response.json(200, obj)

    def _list(self, request: Request, target: Target) -> Response | Streaming:
        if _is_watch(request):
            return self._watch(request, target)
        items, version = self._select(request, target)
        if _wants_table(request):
            return self._table(request, target, items, version)
        resource = target.resource
        return Response.json(200, {"kind": resource.list_kind, "apiVersion": resource.api_version,
                                   "metadata": {"resourceVersion": version}, "items": items})

    def _select(self, request: Request, target: Target) -> tuple[list[dict], str]:
        """The selected objects and the resourceVersion they are current at (a watch resumes from it)."""
        labels = parse_label_selector(request.query.get("labelSelector", ""))
        fields = parse_field_selector(request.query.get("fieldSelector", ""))
        items, version = self.store.list_at(target.resource.kind, target.namespace)
        return [o for o in items if labels(o.get("metadata", {}).get("labels") or {}) and fields(o)], version

    def _watch(self, request: Request, target: Target) -> Streaming:
        query = request.query
        since = _watch_since(query.get("resourceVersion", ""))
        send_initial = query.get("sendInitialEvents", "").lower()
        bookmarks = query.get("allowWatchBookmarks", "").lower() in ("true", "1")
        if send_initial == "true" and not bookmarks:
            raise ApiError(422, "Invalid", 'ListOptions.meta.k8s.io "" is invalid: allowWatchBookmarks: Forbidden: '
                                           "sendInitialEvents requires setting allowWatchBookmarks to true")
        spec = watch.WatchSpec(
            kind=target.resource.kind, api_version=target.resource.api_version,
            matches=self._watch_filter(request, target), encode=self._watch_encoder(request, target),
            since=None if send_initial == "true" else since, initial_events=send_initial != "false",
            initial_events_end=send_initial == "true", bookmarks=bookmarks,
            timeout=_timeout_seconds(query.get("timeoutSeconds")),
            feed_id=request.headers.get(SETTLE_HEADER.lower()) or None)
        return Streaming(self.watches.open(spec))

    @staticmethod
    def _watch_filter(request: Request, target: Target) -> watch.Matches:
        labels = parse_label_selector(request.query.get("labelSelector", ""))
        fields = parse_field_selector(request.query.get("fieldSelector", ""))
        namespace, name = target.namespace, target.name

        def matches(obj: dict) -> bool:
            meta = obj.get("metadata") or {}
            return ((namespace is None or meta.get("namespace") == namespace)
                    and (name is None or meta.get("name") == name)
                    and labels(meta.get("labels") or {}) and fields(obj))
        return matches

    def _watch_encoder(self, request: Request, target: Target) -> watch.Encode:
        if not _wants_table(request):
            return watch.json_event
        version = resources.crd_version(self.store, target.resource)
        include = request.query.get("includeObject", "Metadata")

        def encode(event_type: str, obj: dict) -> bytes:
            if event_type in (watch.BOOKMARK, watch.ERROR):
                return watch.json_event(event_type, obj)
            table = tables.to_table(target.resource, version, [obj], self.cluster.clock.now(),
                                    obj["metadata"].get("resourceVersion", ""), include)
            return watch.json_event(event_type, table)
        return encode

    def _table(self, request: Request, target: Target, objects: list[dict], resource_version: str) -> Response:
        version = resources.crd_version(self.store, target.resource)
        table = tables.to_table(target.resource, version, objects, self.cluster.clock.now(),
                                resource_version, request.query.get("includeObject", "Metadata"))
        return Response.json(200, table)

    # -- writing --------------------------------------------------------------------------
    def _create(self, request: Request, target: Target) -> Response:
        obj = self._body_object(request, target.resource)
        return Response.json(201, self.create_object(target, obj))

    def create_object(self, target: Target, obj: dict) -> dict:
        resource = target.resource
        meta = obj.setdefault("metadata", {})
        self._place_in_namespace(target, meta)
        for key in ("uid", "resourceVersion", "creationTimestamp", "generation", "deletionTimestamp"):
            meta.pop(key, None)
        if "status" in resource.subresources and resource.kind != "Namespace":
            obj.pop("status", None)
        if target.namespace is not None:
            self._require_namespace(target.namespace)
        if not meta.get("name") and meta.get("generateName"):
            return self._create_generated(resource, obj)
        return self._store_new(resource, obj)

    def _create_generated(self, resource: Resource, obj: dict) -> dict:
        for _ in range(8):
            suffix = "".join(self._random.choice(_NAME_CHARS) for _ in range(5))
            obj["metadata"]["name"] = obj["metadata"]["generateName"] + suffix
            try:
                return self._store_new(resource, obj)
            except ApiError as error:
                if error.reason != "AlreadyExists":
                    raise
        raise ApiError(500, "ServerTimeout", "could not generate a unique name")

    def _store_new(self, resource: Resource, obj: dict) -> dict:
        name = obj["metadata"].get("name") or ""
        if not name:
            raise ApiError(422, "Invalid", f'{resource.qualified_kind} "" is invalid: metadata.name: '
                                           "Required value: name or generateName is required")
        obj = self._admit(resource, obj)
        if resource.kind == "Service":
            self._assign_cluster_ip(obj)
        return self._translate(resource, name, lambda: self.store.create(resource.kind, obj))

    def _put(self, request: Request, target: Target) -> Response:
        obj = self._body_object(request, target.resource)
        self._check_identity(target, obj)
        if "status" in target.resource.subresources:
            obj.pop("status", None)
        obj = self._admit(target.resource, obj)
        return Response.json(200, self._update(target, obj))

    def _put_status(self, request: Request, target: Target) -> Response:
        obj = self._body_object(request, target.resource)
        self._check_identity(target, obj)
        obj = self._admit(target.resource, obj, only=("status",))
        return Response.json(200, self._update(target, obj, status_only=True))

    def _update(self, target: Target, obj: dict, status_only: bool = False) -> dict:
        return self._translate(target.resource, target.name,
                               lambda: self.store.update(target.resource.kind, obj, status_only=status_only))

    def _patch(self, request: Request, target: Target) -> Response:
        content_type = request.headers.get("content-type", JSON).split(";")[0].strip()
        patcher = PATCHERS.get(content_type)
        if patcher is None:
            raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                                                        f"accepted media types include: {', '.join(PATCHERS)}")
        if content_type == APPLY and not request.query.get("fieldManager"):
            raise ApiError(400, "BadRequest", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
                                              "Required value: is required for apply patch")
        patch = _parse_body(request.body, yaml_ok=content_type == APPLY)
        for attempt in range(5):
            try:
                return self._patch_once(target, patcher, patch, content_type == APPLY)
            except ApiError as error:
                if error.reason != "Conflict" or _patch_sets_version(patch) or attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _patch_once(self, target: Target, patcher: Callable, patch: Any, apply: bool) -> Response:
        current = self.store.get(target.resource.kind, target.namespace, target.name)
        if current is None:
            if apply and target.sub is None and isinstance(patch, dict):
                obj = self._with_type(target.resource, patch)
                self._check_identity(target, obj)
                return Response.json(201, self.create_object(target, obj))
            raise object_not_found(target.resource, target.name)
        if target.sub == "scale":
            return self._write_scale(target, current, patcher(self._scale_of(current), patch))
        patched = patcher(current, patch)
        if not isinstance(patched, dict):
            raise bad_request("the patch did not produce an object")
        patched = self._with_type(target.resource, patched)
        patched["metadata"] = {**patched.get("metadata", {}), "name": target.name}
        if target.namespace is not None:
            patched["metadata"]["namespace"] = target.namespace
        if target.sub == "status":
            patched = self._admit(target.resource, patched, only=("status",))
            return Response.json(200, self._update(target, patched, status_only=True))
        if "status" in target.resource.subresources and "status" in current:
            patched["status"] = current["status"]
        return Response.json(200, self._update(target, self._admit(target.resource, patched)))

    # -- scale ----------------------------------------------------------------------------
    def _scale_of(self, obj: dict) -> dict:
        meta = obj["metadata"]
        selector = obj.get("spec", {}).get("selector", {}).get("matchLabels") or {}
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                             if k in meta},
                "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
                "status": {"replicas": obj.get("status", {}).get("replicas", 0),
                           "selector": ",".join(f"{k}={v}" for k, v in selector.items())}}

    def _get_scale(self, request: Request, target: Target) -> Response:
        return Response.json(200, self._scale_of(self._fetch(target)))

    def _put_scale(self, request: Request, target: Target) -> Response:
        scale = _parse_body(request.body)
        if not isinstance(scale, dict):
            raise bad_request("the body must be a Scale object")
        return self._write_scale(target, self._fetch(target), scale)

    def _write_scale(self, target: Target, current: dict, scale: dict) -> Response:
        replicas = (scale.get("spec") or {}).get("replicas", 0)
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError(422, "Invalid", f'Scale.autoscaling "{target.name}" is invalid: spec.replicas: '
                                           f"Invalid value: {json.dumps(replicas)}: must be greater than or equal to 0")
        sent_version = (scale.get("metadata") or {}).get("resourceVersion")
        if sent_version:
            current["metadata"]["resourceVersion"] = sent_version
        current.setdefault("spec", {})["replicas"] = replicas
        return Response.json(200, self._scale_of(self._update(target, current)))

    # -- delete ---------------------------------------------------------------------------
    def _delete(self, request: Request, target: Target) -> Response:
        obj = self._fetch(target)
        orphan = _propagation(request) == "Orphan"
        if target.resource.kind == "Namespace":
            return Response.json(200, self.delete_namespace(target.name))
        self.delete_object(target.resource.kind, target.namespace, target.name, cascade=not orphan)
        if target.resource.kind == "Pod":
            return Response.json(200, obj)
        return Response.json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                   "details": {"name": target.name, "group": target.resource.group,
                                               "kind": target.resource.plural, "uid": obj["metadata"]["uid"]}})

    def _delete_collection(self, request: Request, target: Target) -> Response:
        items, _ = self._select(request, target)
        for obj in items:
            meta = obj["metadata"]
            if target.resource.kind == "Namespace":
                self.delete_namespace(meta["name"])
            else:
                self.delete_object(target.resource.kind, meta.get("namespace"), meta["name"])
        return Response.json(200, {"kind": target.resource.list_kind, "apiVersion": target.resource.api_version,
                                   "metadata": {"resourceVersion": self.store.resource_version()}, "items": items})

    def delete_object(self, kind: str, namespace: str | None, name: str, cascade: bool = True) -> None:
        """Delete, then garbage-collect dependents (background propagation: owner first)."""
        try:
            deleted = self.store.delete(kind, namespace, name)
        except ApiError as error:
            if error.code == 404:
                return
            raise
        if cascade:
            for key in self.store.dependents(deleted["metadata"]["uid"]):
                self.delete_object(key.kind, key.namespace, key.name)
        if kind == resources.CRD_KIND:  # a CRD takes its custom objects with it
            custom_kind = deleted.get("spec", {}).get("names", {}).get("kind", "")
            for obj in self.store.list(custom_kind):
                self.delete_object(custom_kind, obj["metadata"].get("namespace"), obj["metadata"]["name"])

    def delete_namespace(self, name: str) -> dict:
        """Mark Terminating (no new content), delete everything in it, then the namespace."""
        namespace = self.store.must_get("Namespace", None, name)
        namespace.setdefault("status", {})["phase"] = "Terminating"
        namespace["metadata"].pop("resourceVersion", None)
        self.store.update("Namespace", namespace, status_only=True)
        for _ in range(10):
            keys = list(self.store.kinds_in(name))
            if not keys:
                break
            for key in sorted(keys, key=lambda k: self._has_owner(k)):
                self.delete_object(key.kind, key.namespace, key.name)
        self.delete_object("Namespace", None, name)
        return namespace

    def _has_owner(self, key) -> bool:
        obj = self.store.get(key.kind, key.namespace, key.name)
        return bool(obj and obj["metadata"].get("ownerReferences"))

    # -- log and proxy --------------------------------------------------------------------
    def _log(self, request: Request, target: Target) -> Response:
        if request.method != "GET":
            raise method_not_allowed()
        self._fetch(target)
        tail = request.query.get("tailLines")
        text = self._workloads().pod_log(target.namespace, target.name, request.query.get("container"),
                                         int(tail) if tail not in (None, "") else None)
        return Response(200, text.encode(), "text/plain")

    def _proxy(self, request: Request, target: Target) -> Response:
        name, port = _split_name_port(target.name)
        lookup = self._workloads().pod_endpoint if target.resource.kind == "Pod" \
            else self._workloads().service_endpoint
        host, host_port = lookup(target.namespace, name, port)
        path = target.rest + (f"?{request.raw_query}" if request.raw_query else "")
        return forward(request, host, host_port, path)

    def _workloads(self) -> Any:
        workloads = getattr(self.cluster, "workloads", None)
        if workloads is None:
            raise ApiError(503, "ServiceUnavailable", "no workloads are running in this cluster")
        return workloads

    # -- helpers --------------------------------------------------------------------------
    def _body_object(self, request: Request, resource: Resource) -> dict:
        obj = _parse_body(request.body)
        if not isinstance(obj, dict):
            raise bad_request(f"the body of the request must be a {resource.kind} object")
        return self._with_type(resource, obj)

    @staticmethod
    def _with_type(resource: Resource, obj: dict) -> dict:
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if (kind and kind != resource.kind) or (api_version and api_version != resource.api_version):
            raise bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                              f"version ({resource.api_version})" if api_version != resource.api_version else
                              f"the kind in the data ({kind}) does not match the expected kind ({resource.kind})")
        obj["kind"], obj["apiVersion"] = resource.kind, resource.api_version
        obj = decoding.decode(resource.kind, resource.api_version, obj, builtin=resource.crd_name is None)
        obj.setdefault("metadata", {})
        return obj

    @staticmethod
    def _place_in_namespace(target: Target, meta: dict) -> None:
        sent = meta.get("namespace")
        if target.namespace is None:
            meta.pop("namespace", None)
        elif sent and sent != target.namespace:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        else:
            meta["namespace"] = target.namespace

    def _check_identity(self, target: Target, obj: dict) -> None:
        meta = obj["metadata"]
        if meta.get("name") and meta["name"] != target.name:
            raise bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL "
                              f"({target.name})")
        meta["name"] = target.name
        self._place_in_namespace(target, meta)

    def _require_namespace(self, namespace: str) -> None:
        found = self.store.get("Namespace", None, namespace)
        if found is None:
            raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')
        if found.get("status", {}).get("phase") == "Terminating":
            raise ApiError(403, "Forbidden", f"unable to create new content in namespace {namespace} "
                                             "because it is being terminated")

    def _admit(self, resource: Resource, obj: dict, only: tuple[str, ...] | None = None) -> dict:
        name = obj["metadata"].get("name", "")
        if resource.crd_name:
            version = resources.crd_version(self.store, resource)
            openapi = (version.get("schema") or {}).get("openAPIV3Schema")
            return schema.admit(openapi, obj, resource.qualified_kind, name, only=only) if openapi else obj
        if only is None:
            schema.default_builtin(resource.kind, obj)
            _validate_builtin(resource, obj)
        return obj

    def _assign_cluster_ip(self, obj: dict) -> None:
        spec = obj.setdefault("spec", {})
        if spec.get("clusterIP"):
            return
        with self._lock:
            number, self._next_ip = self._next_ip, self._next_ip + 1
        spec["clusterIP"] = f"10.96.{number // 250}.{number % 250 + 1}"
        spec["clusterIPs"] = [spec["clusterIP"]]

    @staticmethod
    def _translate(resource: Resource, name: str, action: Callable[[], dict]) -> dict:
        """Run a store call; reword its errors the way the real server names resources."""
        try:
            return action()
        except ApiError as error:
            ref = resource_ref(resource)
            if error.reason == "NotFound":
                raise object_not_found(resource, name) from None
            if error.reason == "AlreadyExists":
                raise ApiError(409, "AlreadyExists", f'{ref} "{name}" already exists') from None
            if error.reason == "Conflict":
                raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {ref} "{name}": the object has '
                                                "been modified; please apply your changes to the latest version "
                                                "and try again") from None
            raise


def _validate_builtin(resource: Resource, obj: dict) -> None:
    replicas = obj.get("spec", {}).get("replicas") if resource.kind in ("Deployment", "ReplicaSet") else 0
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise ApiError(422, "Invalid", f'{resource.kind}.{resource.group} "{obj["metadata"].get("name", "")}" is '
                                       f"invalid: spec.replicas: Invalid value: {json.dumps(replicas)}: "
                                       "must be greater than or equal to 0")


def _is_watch(request: Request) -> bool:
    return request.query.get("watch", "").lower() in ("true", "1")


def _watch_since(text: str) -> int | None:
    """A watch's resourceVersion: "" and "0" start from the current state, N after N."""
    if text in ("", "0"):
        return None
    if not text.isdigit():
        raise bad_request(f'invalid resource version: strconv.ParseUint: parsing "{text}": invalid syntax')
    return int(text)


def _timeout_seconds(text: str | None) -> float | None:
    """A watch's timeoutSeconds; 0 or absent means none (kube-apiserver then picks its own)."""
    if text in (None, ""):
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise bad_request(f'invalid timeoutSeconds "{text}"') from None
    return seconds if seconds > 0 else None


def _wants_table(request: Request) -> bool:
    return "as=Table" in request.headers.get("accept", "")


def _propagation(request: Request) -> str | None:
    if request.query.get("propagationPolicy"):
        return request.query["propagationPolicy"]
    try:
        options = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return options.get("propagationPolicy") if isinstance(options, dict) else None


def _patch_sets_version(patch: Any) -> bool:
    return isinstance(patch, dict) and bool((patch.get("metadata") or {}).get("resourceVersion"))


def _parse_body(body: bytes, yaml_ok: bool = False) -> Any:
    if not body:
        raise bad_request("the request body is empty")
    try:
        return yaml.load(body, Loader=_YAML_LOADER) if yaml_ok else json.loads(body)
    except (ValueError, yaml.YAMLError) as error:
        kind = "YAML" if yaml_ok else "JSON"
        raise bad_request(f"the request body is not valid {kind}: {error}") from None


def _split_name_port(name: str) -> tuple[str, str | int | None]:
    """`NAME`, `NAME:PORT` or `SCHEME:NAME:PORT` -> (name, port)."""
    parts = name.split(":")
    if len(parts) == 3:
        parts = parts[1:]
    port = parts[1] if len(parts) > 1 and parts[1] else None
    return parts[0], int(port) if port and port.isdigit() else port


def forward(request: Request, host: str, port: int, path: str) -> Response:
    """Relay one request to http://host:port/path (what pod and service proxy do)."""
    headers = {k: v for k, v in request.headers.items() if k in ("content-type", "accept")}
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request(request.method, path, body=request.body or None, headers=headers)
        reply = connection.getresponse()
        data = reply.read()
    except (OSError, http.client.HTTPException) as error:
        raise ApiError(503, "ServiceUnavailable",
                       f"error trying to reach service: dial tcp {host}:{port}: {error}") from None
    finally:
        connection.close()
    return Response(reply.status, data, reply.getheader("Content-Type", "text/plain"))


# -- selectors ------------------------------------------------------------------------------

_SET_TERM = re.compile(r"^([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)$")
_EQ_TERM = re.compile(r"^([\w./-]+)\s*(==|=|!=)\s*([\w.\-]*)$")
_EXISTS_TERM = re.compile(r"^(!?)\s*([\w./-]+)$")


def _split_terms(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current.strip())
            current = ""
        else:
            current += char
    terms.append(current.strip())
    return [t for t in terms if t]


def parse_label_selector(selector: str) -> Callable[[dict], bool]:
    """A predicate over a labels dict for `a=b,c!=d,e in (f,g),h notin (i),j,!k`."""
    checks = [_label_term(term) for term in _split_terms(selector)]
    return lambda labels: all(check(labels) for check in checks)


def _label_term(term: str) -> Callable[[dict], bool]:
    if match := _SET_TERM.match(term):
        key, op, values = match.groups()
        wanted = {v.strip() for v in values.split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in wanted
        return lambda labels: labels.get(key) not in wanted
    if match := _EQ_TERM.match(term):
        key, op, value = match.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _EXISTS_TERM.match(term):
        negate, key = match.groups()
        return lambda labels: (key in labels) != bool(negate)
    raise bad_request(f"unable to parse requirement: {term!r}")


def parse_field_selector(selector: str) -> Callable[[dict], bool]:
    """A predicate over an object for `metadata.name=x,status.phase!=Running` (any dotted path)."""
    checks = []
    for term in _split_terms(selector):
        match = re.match(r"^([\w.\-]+)\s*(==|=|!=)\s*(.*)$", term)
        if not match:
            raise bad_request(f"invalid field selector: {term!r}")
        checks.append(_field_term(*match.groups()))
    return lambda obj: all(check(obj) for check in checks)


def _field_term(path: str, op: str, value: str) -> Callable[[dict], bool]:
    def check(obj: dict) -> bool:
        found = tables.jsonpath(obj, "." + path)
        actual = "" if not found or found[0] is None else str(found[0])
        return (actual == value) != (op == "!=")
    return check


# -- HTTP ------------------------------------------------------------------------------------

class _MalformedBody(ValueError):
    """A request whose body cannot even be framed (bad Content-Length, bad chunk size)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_HttpServer"

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _serve(self) -> None:
        split = urlsplit(self.path)
        try:
            body = self._read_body()
        except _MalformedBody as error:  # what net/http answers before any handler runs; the stream is lost
            self.close_connection = True
            response = Response.json(400, bad_request(str(error)).status())
        else:
            request = Request(self.command, split.path, dict(parse_qsl(split.query, keep_blank_values=True)),
                              split.query, {k.lower(): v for k, v in self.headers.items()}, body)
            response = self.server.api.handle(request)
        if self.server.api.stopped:
            self.close_connection = True
        if isinstance(response, Streaming):
            self._stream(response)
            return
        reason = self.responses.get(response.code, ("",))[0]
        head = (f"{self.protocol_version} {response.code} {reason}\r\n"
                f"Date: {self.date_time_string()}\r\nContent-Type: {response.content_type}\r\n"
                f"Content-Length: {len(response.body)}\r\n\r\n").encode("latin-1")
        self.wfile.write(head + (response.body if self.command != "HEAD" else b""))  # one write: no Nagle stall

    def _stream(self, response: Streaming) -> None:
        head = (f"{self.protocol_version} {response.code} OK\r\nDate: {self.date_time_string()}\r\n"
                f"Content-Type: {response.content_type}\r\nTransfer-Encoding: chunked\r\n"
                "Cache-Control: no-cache, private\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head)
        except OSError:
            response.stream.finish()
            self.close_connection = True
            return
        ended = response.stream.serve(self.connection, lambda data: self.wfile.write(
            b"%x\r\n%s\r\n" % (len(data), data)))
        if ended:
            try:
                self.wfile.write(b"0\r\n\r\n")
                if not self.server.api.stopped:
                    return
            except OSError:
                pass
        self.close_connection = True

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        text = (self.headers.get("Content-Length") or "0").strip()
        if not re.fullmatch(r"[0-9]+", text):
            raise _MalformedBody(f"bad Content-Length {text!r}")
        length = int(text)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            line = self.rfile.readline(1024).split(b";")[0].strip()
            if not re.fullmatch(rb"[0-9a-fA-F]{1,16}", line):
                raise _MalformedBody(f"invalid byte in chunk length {line[:20]!r}")
            size = int(line, 16)
            if size == 0:
                break
            body += self.rfile.read(size)
            self.rfile.readline()
        self.rfile.readline()
        return body

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by design
        pass


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: Api, tls: ssl.SSLContext | None):
        super().__init__(address, _Handler)
        self.api, self.tls = api, tls

    def process_request_thread(self, request: socket.socket, client_address: Any) -> None:
        # The TLS handshake runs here, in the connection's own thread, never in the accept loop.
        request.settimeout(60)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK stalls
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                self.shutdown_request(request)
                return
        super().process_request_thread(request, client_address)


class ApiServer:
    """`Api` served on 127.0.0.1 (port 0 = any free port) in a daemon thread; HTTPS when given cert+key."""

    def __init__(self, cluster: Any, token: str, port: int = 0, host: str = "127.0.0.1",
                 tls_files: tuple[str, str] | None = None):
        self.api = Api(cluster, token)
        self._httpd = _HttpServer((host, port), self.api, _tls_context(tls_files))
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="budspec-apiserver", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        scheme = "https" if self._httpd.tls is not None else "http"
        return f"{scheme}://{host}:{port}"

    def start(self) -> "ApiServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.api.stopped = True
        self.api.watches.close_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _tls_context(tls_files: tuple[str, str] | None) -> ssl.SSLContext | None:
    if tls_files is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tls_files[0]), str(tls_files[1]))
    return context
