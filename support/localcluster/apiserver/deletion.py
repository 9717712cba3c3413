"""DELETE and deletecollection. Dependents are the garbage collector's (background
propagation); `Orphan` takes the owner reference off them first. A namespace is only
marked Terminating here: the namespace controller empties and removes it."""

from __future__ import annotations

import json

from support.localcluster.apiserver.reads import Reads
from support.localcluster.apiserver.request import Request, Response, Target
from support.localcluster.apiserver.writes import translate
from support.localcluster.errors import ApiError
from support.localcluster.store import Store


class Deletes:
    def __init__(self, store: Store, reads: Reads):
        self._store, self._reads = store, reads

    def delete(self, request: Request, target: Target) -> Response:
        obj = self._reads.fetch(target)
        if target.resource.kind == "Namespace":
            return Response.json(200, self._terminate(obj))
        self._delete(target, obj, _propagation(request))
        if target.resource.kind == "Pod":
            return Response.json(200, obj)
        return Response.json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                   "details": {"name": target.name, "group": target.resource.group,
                                               "kind": target.resource.plural, "uid": obj["metadata"]["uid"]}})

    def delete_collection(self, request: Request, target: Target) -> Response:
        items, _ = self._reads.select(request, target)
        for obj in items:
            if target.resource.kind == "Namespace":
                self._terminate(obj)
            else:
                self._delete(target, obj, _propagation(request))
        return Response.json(200, {"kind": target.resource.list_kind, "apiVersion": target.resource.api_version,
                                   "metadata": {"resourceVersion": self._store.resource_version()}, "items": items})

    def _delete(self, target: Target, obj: dict, propagation: str | None) -> None:
        meta = obj["metadata"]
        if propagation == "Orphan":
            self._orphan_dependents(meta["uid"])
        try:
            translate(target.resource, meta["name"],
                      lambda: self._store.delete(target.resource.kind, meta.get("namespace"), meta["name"]))
        except ApiError as error:
            if error.code != 404:  # already gone (deletecollection racing another deletion)
                raise

    def _orphan_dependents(self, uid: str) -> None:
        for key in self._store.dependents(uid):
            dependent = self._store.get(key.kind, key.namespace, key.name)
            if dependent is None:
                continue
            refs = dependent["metadata"].get("ownerReferences") or []
            dependent["metadata"]["ownerReferences"] = [ref for ref in refs if ref.get("uid") != uid]
            dependent["metadata"].pop("resourceVersion", None)
            self._store.update(key.kind, dependent)

    def _terminate(self, namespace: dict) -> dict:
        return self._store.mark_deleting("Namespace", None, namespace["metadata"]["name"], {"phase": "Terminating"})


def _propagation(request: Request) -> str | None:
    if request.query.get("propagationPolicy"):
        return request.query["propagationPolicy"]
    try:
        options = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return options.get("propagationPolicy") if isinstance(options, dict) else None
