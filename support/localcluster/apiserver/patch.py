"""PATCH: JSON patch, JSON merge patch, strategic merge patch, and server-side apply (apply.py;
create when absent); on the object, its /status and its /scale. A conflict of a patch that named
no resourceVersion is retried, as kube-apiserver retries its guaranteed updates."""

from __future__ import annotations

from typing import Any, Callable

from support.clock import Clock, rfc3339
from support.localcluster import schema
from support.localcluster.apiserver import admission, patching, resources, validation
from support.localcluster.apiserver.apply import apply
from support.localcluster.apiserver.request import JSON, Request, Response, Target, object_not_found, parse_body
from support.localcluster.apiserver.scale import Scales
from support.localcluster.apiserver.writes import Writes, field_manager, with_type
from support.localcluster.errors import ApiError, bad_request
from support.localcluster.store import Store

APPLY = "application/apply-patch+yaml"
Patcher = Callable[[Any, Any], Any]
PATCHERS: dict[str, Patcher] = {
    "application/json-patch+json": patching.json_patch,
    "application/merge-patch+json": patching.json_merge,
    "application/strategic-merge-patch+json": patching.strategic_merge,
    APPLY: patching.strategic_merge,  # on /status and /scale; the object itself is applied by apply.py
}
ATTEMPTS = 5


class Patches:
    def __init__(self, store: Store, clock: Clock, writes: Writes, scales: Scales):
        self._store, self._clock, self._writes, self._scales = store, clock, writes, scales

    def patch(self, request: Request, target: Target) -> Response:
        content_type = request.headers.get("content-type", JSON).split(";")[0].strip()
        patcher = PATCHERS.get(content_type)
        if patcher is None:
            raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                                                        f"accepted media types include: {', '.join(PATCHERS)}")
        if content_type == APPLY and not request.query.get("fieldManager"):
            raise ApiError(400, "BadRequest", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
                                              "Required value: is required for apply patch")
        patch = parse_body(request.body, yaml_ok=content_type == APPLY)
        for attempt in range(ATTEMPTS):
            try:
                if content_type == APPLY and target.sub is None:
                    return self._apply(request, target, patch)
                return self._patch_once(request, target, patcher, patch)
            except ApiError as error:
                if error.reason != "Conflict" or error.details or _sets_version(patch) or attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _patch_once(self, request: Request, target: Target, patcher: Patcher, patch: Any) -> Response:
        current = self._store.peek(target.resource.kind, target.namespace, target.name)  # read-only: patchers copy
        if current is None:
            raise object_not_found(target.resource, target.name)
        if target.sub == "scale":
            return self._scales.write(request, target, current,
                                      patcher(self._scales.scale_of(target, current), patch))
        patched = patcher(current, patch)
        if not isinstance(patched, dict):
            raise bad_request("the patch did not produce an object")
        patched = with_type(target.resource, patched)
        patched["metadata"] = {**patched.get("metadata", {}), "name": target.name}
        if target.namespace is not None:
            patched["metadata"]["namespace"] = target.namespace
        status = target.sub == "status"
        if not status and "status" in target.resource.subresources and "status" in current:
            patched["status"] = dict(current["status"])
        unknown: list[str] = []
        patched = admission.admit(self._store, target.resource, patched, only=("status",) if status else None,
                                  unknown=unknown)
        headers = validation.judge(request, target.resource, unknown)
        self._writes.record(request, target, current, patched, target.sub or "")
        return Response.json(200, self._writes.update(target, patched, status_only=status), headers)

    def _apply(self, request: Request, target: Target, patch: Any) -> Response:
        if not isinstance(patch, dict):
            raise bad_request("an apply patch must be an object")
        config = with_type(target.resource, patch)
        self._writes.check_identity(target, config)
        unknown = self._strip_unknown(target, config)
        headers = validation.judge(request, target.resource, unknown)
        live = self._store.peek(target.resource.kind, target.namespace, target.name)  # read-only: apply copies
        force = request.query.get("force", "").lower() in ("true", "1")
        merged = apply(live, config, admission.shape_of(self._store, target.resource), field_manager(request),
                       target.resource.api_version, force, rfc3339(self._clock.now()))
        if live is None:
            created, _ = self._writes.create_object(request, target, merged, tracked=True)
            return Response.json(201, created, headers)
        merged["metadata"]["resourceVersion"] = (config.get("metadata") or {}).get("resourceVersion")
        if "status" in target.resource.subresources and "status" in live:
            merged["status"] = dict(live["status"])
        merged = admission.admit(self._store, target.resource, merged)
        return Response.json(200, self._writes.update(target, merged), headers)

    def _strip_unknown(self, target: Target, config: dict) -> list[str]:
        """Unknown fields leave an applied configuration before its fields are counted as owned."""
        unknown = validation.strip_unknown(target.resource, config)
        openapi = (resources.crd_version(self._store, target.resource).get("schema") or {}).get("openAPIV3Schema")
        if target.resource.crd_name and openapi:
            pruned, dropped = schema.prune(openapi, config)
            config.clear()
            config.update(pruned)
            unknown += dropped
        return unknown


def _sets_version(patch: Any) -> bool:
    return isinstance(patch, dict) and bool((patch.get("metadata") or {}).get("resourceVersion"))
