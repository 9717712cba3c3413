"""The garbage collector: dependents go when their owners have gone.

An object whose every ownerReference names an object that no longer exists is
deleted (background propagation); one that still has a live owner only loses
the reference to the deleted one. Custom objects go with their
CustomResourceDefinition, as the apiextensions server's cleanup does.
"""

from __future__ import annotations

from functools import partial

from support.localcluster.access import DELETED, WorkQueue
from support.localcluster.errors import ApiError
from support.localcluster.store import Key, Store

CRD_KIND = "CustomResourceDefinition"


class GarbageCollector:
    def __init__(self, store: Store, queue: WorkQueue):
        self._store, self._queue = store, queue

    def start(self) -> None:
        self._store.subscribe(self._on_event)

    def stop(self) -> None:
        self._store.unsubscribe(self._on_event)

    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        if event != DELETED:
            return
        self._queue.submit(partial(self._collect, obj["metadata"]["uid"]))
        if kind == CRD_KIND:
            custom_kind = (obj.get("spec") or {}).get("names", {}).get("kind", "")
            self._queue.submit(partial(self._delete_all, custom_kind))

    def _collect(self, owner_uid: str) -> None:
        for key in self._store.dependents(owner_uid):
            dependent = self._store.get(key.kind, key.namespace, key.name)
            if dependent is None:
                continue
            refs = dependent["metadata"].get("ownerReferences") or []
            alive = [ref for ref in refs if ref.get("uid") != owner_uid and self._store.exists(ref.get("uid", ""))]
            if alive:
                dependent["metadata"]["ownerReferences"] = [ref for ref in refs if ref.get("uid") != owner_uid]
                self._quietly(lambda: self._store.update(key.kind, dependent))
            else:
                self._delete(key)

    def _delete_all(self, kind: str) -> None:
        for obj in self._store.list(kind):
            meta = obj["metadata"]
            self._delete(Key(kind, meta.get("namespace", ""), meta["name"]))

    def _delete(self, key: Key) -> None:
        self._quietly(lambda: self._store.delete(key.kind, key.namespace or None, key.name))

    @staticmethod
    def _quietly(action) -> None:
        """Someone else got there first (404) or changed it meanwhile (409): the next event retries."""
        try:
            action()
        except ApiError as error:
            if error.code not in (404, 409):
                raise
