"""The namespace controller: a Terminating namespace is emptied, then removed.

The API server marks a deleted namespace Terminating and stamps its
deletionTimestamp (no new content goes in); this controller, keyed on the
deletionTimestamp as Kubernetes' is, deletes everything left in it and then
the namespace itself.
"""

from __future__ import annotations

from functools import partial

from support.localcluster.access import WorkQueue
from support.localcluster.errors import ApiError
from support.localcluster.store import Store

SWEEPS = 10  # passes over what is left (objects may be created by controllers racing the deletion)


class NamespaceController:
    def __init__(self, store: Store, queue: WorkQueue):
        self._store, self._queue = store, queue

    def start(self) -> None:
        self._store.subscribe(self._on_event)
        for namespace in self._store.list("Namespace"):
            if deleted(namespace):
                self._queue.submit(partial(self._sweep, namespace["metadata"]["name"]))

    def stop(self) -> None:
        self._store.unsubscribe(self._on_event)

    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        if kind == "Namespace" and deleted(obj):
            self._queue.submit(partial(self._sweep, obj["metadata"]["name"]))

    def _sweep(self, name: str) -> None:
        namespace = self._store.get("Namespace", None, name)
        if namespace is None or not deleted(namespace):
            return
        for _ in range(SWEEPS):
            keys = list(self._store.kinds_in(name))
            if not keys:
                break
            for key in sorted(keys, key=self._has_owner):  # owners first: their dependents follow them
                self._quietly(lambda: self._store.delete(key.kind, key.namespace, key.name))
        self._quietly(lambda: self._store.delete("Namespace", None, name))

    def _has_owner(self, key) -> bool:
        obj = self._store.get(key.kind, key.namespace, key.name)
        return bool(obj and obj["metadata"].get("ownerReferences"))

    @staticmethod
    def _quietly(action) -> None:
        try:
            action()
        except ApiError as error:
            if error.code != 404:
                raise


def deleted(namespace: dict) -> bool:
    return bool(namespace["metadata"].get("deletionTimestamp"))
