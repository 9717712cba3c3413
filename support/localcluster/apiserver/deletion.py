"""DELETE and deletecollection, and a namespace's /finalize.

An object with finalizers is only marked (deletionTimestamp) and stays until
they are gone. Dependents are the garbage collector's: `Background` (the
default) deletes the owner at once, `Foreground` holds it with the
foregroundDeletion finalizer until its blocking dependents are gone, `Orphan`
holds it with the orphan finalizer until its dependents no longer name it.
A namespace goes Terminating; the namespace controller empties and finalizes it.
"""

from __future__ import annotations

import json

from support.localcluster.apiserver.reads import Reads
from support.localcluster.apiserver.request import Request, Response, Target, parse_body
from support.localcluster.apiserver.writes import translate
from support.localcluster.errors import ApiError, bad_request
from support.localcluster.store import Store

PROPAGATION_FINALIZERS = {"Foreground": ("foregroundDeletion",), "Orphan": ("orphan",), "Background": ()}


class Deletes:
    def __init__(self, store: Store, reads: Reads):
        self._store, self._reads = store, reads

    def delete(self, request: Request, target: Target) -> Response:
        obj = self._reads.fetch(target)
        result = self._delete(target, obj, _propagation(request))
        if result is not None and self._store.peek(target.resource.kind, target.namespace, target.name) is not None:
            return Response.json(200, result)  # waiting for its finalizers: the object, marked
        if target.resource.kind in ("Pod", "Namespace"):
            return Response.json(200, result or obj)
        return Response.json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                   "details": {"name": target.name, "group": target.resource.group,
                                               "kind": target.resource.plural, "uid": obj["metadata"]["uid"]}})

    def delete_collection(self, request: Request, target: Target) -> Response:
        items, _ = self._reads.select(request, target)
        propagation = _propagation(request)
        for obj in items:
            self._delete(target, obj, propagation)
        return Response.json(200, {"kind": target.resource.list_kind, "apiVersion": target.resource.api_version,
                                   "metadata": {"resourceVersion": self._store.resource_version()}, "items": items})

    def finalize(self, request: Request, target: Target) -> Response:
        """PUT namespaces/NAME/finalize: replace spec.finalizers (what the namespace controller does last)."""
        body = parse_body(request.body)
        if not isinstance(body, dict) or not isinstance((body.get("spec") or {}).get("finalizers", []), list):
            raise bad_request("the body must be a Namespace whose spec.finalizers is a list")
        current = self._reads.fetch(target)
        sent_version = (body.get("metadata") or {}).get("resourceVersion")
        update = {"metadata": {**current["metadata"], "resourceVersion": sent_version}, "spec": body.get("spec") or {}}
        return Response.json(200, translate(target.resource, target.name,
                                            lambda: self._store.update("Namespace", update, finalize=True)))

    def _delete(self, target: Target, obj: dict, propagation: str | None) -> dict | None:
        meta, kind = obj["metadata"], target.resource.kind
        if propagation not in (None, *PROPAGATION_FINALIZERS):
            raise bad_request(f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
                              f'"{propagation}": supported values: "Foreground", "Background", "Orphan", "nil"')
        finalizers = PROPAGATION_FINALIZERS.get(propagation or "Background", ())
        status = {"phase": "Terminating"} if kind == "Namespace" else None
        try:
            return translate(target.resource, meta["name"], lambda: self._store.delete(
                kind, meta.get("namespace"), meta["name"], finalizers=finalizers, status=status))
        except ApiError as error:
            if error.code != 404:  # already gone (deletecollection racing another deletion)
                raise
            return None


def _propagation(request: Request) -> str | None:
    if request.query.get("propagationPolicy"):
        return request.query["propagationPolicy"]
    try:
        options = json.loads(request.body or b"{}")
    except ValueError:
        return None
    if not isinstance(options, dict):
        return None
    if options.get("orphanDependents") is True:  # the deprecated spelling of Orphan
        return "Orphan"
    return options.get("propagationPolicy")
