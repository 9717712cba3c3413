"""PATCH: JSON patch, JSON merge patch, strategic merge patch, and server-side apply
(create when absent); on the object, its /status and its /scale. A conflict of a patch
that named no resourceVersion is retried, as kube-apiserver retries its guaranteed updates."""

from __future__ import annotations

from typing import Any, Callable

from support.localcluster.apiserver import admission, patching
from support.localcluster.apiserver.request import JSON, Request, Response, Target, object_not_found, parse_body
from support.localcluster.apiserver.scale import Scales
from support.localcluster.apiserver.writes import Writes, with_type
from support.localcluster.errors import ApiError, bad_request
from support.localcluster.store import Store

APPLY = "application/apply-patch+yaml"
Patcher = Callable[[Any, Any], Any]
PATCHERS: dict[str, Patcher] = {
    "application/json-patch+json": patching.json_patch,
    "application/merge-patch+json": patching.json_merge,
    "application/strategic-merge-patch+json": patching.strategic_merge,
    APPLY: patching.strategic_merge,
}
ATTEMPTS = 5


class Patches:
    def __init__(self, store: Store, writes: Writes, scales: Scales):
        self._store, self._writes, self._scales = store, writes, scales

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
                return self._patch_once(target, patcher, patch, content_type == APPLY)
            except ApiError as error:
                if error.reason != "Conflict" or _sets_version(patch) or attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _patch_once(self, target: Target, patcher: Patcher, patch: Any, apply: bool) -> Response:
        current = self._store.get(target.resource.kind, target.namespace, target.name)
        if current is None:
            if apply and target.sub is None and isinstance(patch, dict):
                obj = with_type(target.resource, patch)
                self._writes.check_identity(target, obj)
                return Response.json(201, self._writes.create_object(target, obj))
            raise object_not_found(target.resource, target.name)
        if target.sub == "scale":
            return self._scales.write(target, current, patcher(self._scales.scale_of(target, current), patch))
        patched = patcher(current, patch)
        if not isinstance(patched, dict):
            raise bad_request("the patch did not produce an object")
        patched = with_type(target.resource, patched)
        patched["metadata"] = {**patched.get("metadata", {}), "name": target.name}
        if target.namespace is not None:
            patched["metadata"]["namespace"] = target.namespace
        if target.sub == "status":
            patched = admission.admit(self._store, target.resource, patched, only=("status",))
            return Response.json(200, self._writes.update(target, patched, status_only=True))
        if "status" in target.resource.subresources and "status" in current:
            patched["status"] = current["status"]
        return Response.json(200, self._writes.update(target, admission.admit(self._store, target.resource, patched)))


def _sets_version(patch: Any) -> bool:
    return isinstance(patch, dict) and bool((patch.get("metadata") or {}).get("resourceVersion"))
