"""POST and PUT (also of /status): body decoding, identity checks, admission, fieldValidation,
managedFields, and the store's errors reworded the way kube-apiserver names resources."""

from __future__ import annotations

import random
import threading
from typing import Callable

from support.clock import Clock, rfc3339
from support.localcluster.apiserver import admission, decoding, validation
from support.localcluster.apiserver.apply import track_update
from support.localcluster.apiserver.request import (Request, Response, Target, object_not_found, parse_body,
                                                     resource_ref)
from support.localcluster.apiserver.resources import Resource
from support.localcluster.errors import ApiError, bad_request
from support.localcluster.store import Store

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


Headers = list[tuple[str, str]]


class Writes:
    def __init__(self, store: Store, clock: Clock, seed: int = 20260105):
        self._store, self._clock = store, clock
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._next_ip = 1

    # -- handlers -----------------------------------------------------------------------
    def create(self, request: Request, target: Target) -> Response:
        obj = self.body_object(request, target.resource)
        created, headers = self.create_object(request, target, obj)
        return Response.json(201, created, headers)

    def put(self, request: Request, target: Target) -> Response:
        obj = self.body_object(request, target.resource)
        self.check_identity(target, obj)
        if "status" in target.resource.subresources:
            obj.pop("status", None)
        return self._replace(request, target, obj, None)

    def put_status(self, request: Request, target: Target) -> Response:
        obj = self.body_object(request, target.resource)
        self.check_identity(target, obj)
        return self._replace(request, target, obj, "status")

    def _replace(self, request: Request, target: Target, obj: dict, subresource: str | None) -> Response:
        unknown: list[str] = []
        obj = admission.admit(self._store, target.resource, obj, only=("status",) if subresource else None,
                              unknown=unknown)
        headers = validation.judge(request, target.resource, unknown)
        self.record(request, target, self._store.peek(target.resource.kind, target.namespace, target.name), obj,
                    subresource or "")
        return Response.json(200, self.update(target, obj, status_only=subresource == "status"), headers)

    # -- shared with PATCH and /scale -----------------------------------------------------
    def create_object(self, request: Request, target: Target, obj: dict, tracked: bool = False) -> tuple[dict, Headers]:
        """Create `obj` (managedFields already written when `tracked`); the created object and Warning headers."""
        resource = target.resource
        meta = obj.setdefault("metadata", {})
        place_in_namespace(target, meta)
        for key in ("uid", "resourceVersion", "creationTimestamp", "generation", "deletionTimestamp"):
            meta.pop(key, None)
        if "status" in resource.subresources and resource.kind != "Namespace":
            obj.pop("status", None)
        if target.namespace is not None:
            admission.require_namespace(self._store, target.namespace)
        unknown: list[str] = []
        obj = admission.admit(self._store, resource, obj, unknown=unknown)
        headers = validation.judge(request, resource, unknown)
        if not tracked:
            self.record(request, target, None, obj)
        if not meta.get("name") and meta.get("generateName"):
            return self._create_generated(resource, obj), headers
        return self._store_new(resource, obj), headers

    def record(self, request: Request, target: Target, old: dict | None, new: dict, subresource: str = "") -> None:
        """managedFields: the request's manager set what it changed."""
        track_update(old, new, admission.shape_of(self._store, target.resource), field_manager(request),
                     target.resource.api_version, rfc3339(self._clock.now()), subresource)

    def update(self, target: Target, obj: dict, status_only: bool = False) -> dict:
        for field in ("deletionTimestamp", "deletionGracePeriodSeconds"):  # only a DELETE starts a deletion
            obj["metadata"].pop(field, None)
        return translate(target.resource, target.name,
                         lambda: self._store.update(target.resource.kind, obj, status_only=status_only, take=True))

    def body_object(self, request: Request, resource: Resource) -> dict:
        obj = parse_body(request.body)
        if not isinstance(obj, dict):
            raise bad_request(f"the body of the request must be a {resource.kind} object")
        return with_type(resource, obj)

    def check_identity(self, target: Target, obj: dict) -> None:
        meta = obj["metadata"]
        if meta.get("name") and meta["name"] != target.name:
            raise bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL "
                              f"({target.name})")
        meta["name"] = target.name
        place_in_namespace(target, meta)

    # -- creating -------------------------------------------------------------------------
    def _create_generated(self, resource: Resource, obj: dict) -> dict:
        for _ in range(8):
            with self._lock:
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
        if resource.kind == "Service":
            self._assign_cluster_ip(obj)
        return translate(resource, name, lambda: self._store.create(resource.kind, obj, take=True))

    def _assign_cluster_ip(self, obj: dict) -> None:
        spec = obj.setdefault("spec", {})
        if spec.get("clusterIP"):
            return
        with self._lock:
            number, self._next_ip = self._next_ip, self._next_ip + 1
        spec["clusterIP"] = f"10.96.{number // 250}.{number % 250 + 1}"
        spec["clusterIPs"] = [spec["clusterIP"]]


def field_manager(request: Request) -> str:
    """Who writes: `fieldManager=`, else the User-Agent's product (`OpenAPI-Generator`, `kubectl`)."""
    name = request.query.get("fieldManager")
    if name:
        if len(name) > 128:
            raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: '
                                           "may not be longer than 128")
        return name
    return request.headers.get("user-agent", "").split("/")[0].strip() or "unknown"


def with_type(resource: Resource, obj: dict) -> dict:
    """kind and apiVersion checked and set, then Go's typed decoding (400 on a field of the wrong type)."""
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if (kind and kind != resource.kind) or (api_version and api_version != resource.api_version):
        raise bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                          f"version ({resource.api_version})" if api_version != resource.api_version else
                          f"the kind in the data ({kind}) does not match the expected kind ({resource.kind})")
    obj["kind"], obj["apiVersion"] = resource.kind, resource.api_version
    obj = decoding.decode(resource.kind, resource.api_version, obj, builtin=resource.crd_name is None)
    obj.setdefault("metadata", {})
    return obj


def place_in_namespace(target: Target, meta: dict) -> None:
    sent = meta.get("namespace")
    if target.namespace is None:
        meta.pop("namespace", None)
    elif sent and sent != target.namespace:
        raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
    else:
        meta["namespace"] = target.namespace


def translate(resource: Resource, name: str, action: Callable[[], dict]) -> dict:
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
