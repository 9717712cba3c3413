"""The garbage collector: dependents go when their owners have gone, as the deletion propagation said.

- Background (an owner deleted at once): a dependent whose every owner is gone
  is deleted; one that still has a live owner only loses the dead reference.
- Foreground (the owner holds the `foregroundDeletion` finalizer): the
  dependents are deleted (foreground again when they own something), and the
  owner goes once no dependent that blocks its deletion is left.
- Orphan (the owner holds the `orphan` finalizer): the dependents lose their
  reference to it, then the owner goes.
Custom objects go with their CustomResourceDefinition, as the apiextensions
server's cleanup does.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from support.localcluster.access import DELETED, WorkQueue
from support.localcluster.controllers.workloads import modify, quietly
from support.localcluster.store import Key, Store

CRD_KIND = "CustomResourceDefinition"
FOREGROUND, ORPHAN = "foregroundDeletion", "orphan"


class GarbageCollector:
    def __init__(self, store: Store, queue: WorkQueue):
        self._store, self._queue = store, queue

    def start(self) -> None:
        self._store.subscribe(self._on_event)

    def stop(self) -> None:
        self._store.unsubscribe(self._on_event)

    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        meta = obj["metadata"]
        if event == DELETED:
            self._queue.submit(partial(self._collect, meta["uid"]))
            for ref in meta.get("ownerReferences") or []:  # an owner may be waiting for this dependent
                self._queue.submit(partial(self._finish_foreground, ref.get("uid", "")))
            if kind == CRD_KIND:
                self._queue.submit(partial(self._delete_all, (obj.get("spec") or {}).get("names", {}).get("kind", "")))
        elif meta.get("deletionTimestamp"):
            finalizers = meta.get("finalizers") or []
            if ORPHAN in finalizers:
                self._queue.submit(partial(self._orphan, meta["uid"]))
            if FOREGROUND in finalizers:
                self._queue.submit(partial(self._foreground, meta["uid"]))

    def _collect(self, owner_uid: str) -> None:
        for key in self._store.dependents(owner_uid):
            dependent = self._store.get(key.kind, key.namespace, key.name)
            if dependent is None:
                continue
            refs = dependent["metadata"].get("ownerReferences") or []
            if any(ref.get("uid") != owner_uid and self._store.exists(ref.get("uid", "")) for ref in refs):
                self._drop_reference(key, dependent, owner_uid)
            else:
                self._delete(key)

    def _foreground(self, owner_uid: str) -> None:
        for key in self._store.dependents(owner_uid):
            dependent = self._store.get(key.kind, key.namespace, key.name)
            if dependent is None or dependent["metadata"].get("deletionTimestamp"):
                continue
            owns = bool(self._store.dependents(dependent["metadata"]["uid"]))
            self._delete(key, (FOREGROUND,) if owns else ())
        self._finish_foreground(owner_uid)

    def _finish_foreground(self, owner_uid: str) -> None:
        found = self._owner(owner_uid, FOREGROUND)
        if found is not None and not any(self._blocks(key, owner_uid) for key in self._store.dependents(owner_uid)):
            self._drop_finalizer(*found, FOREGROUND)

    def _blocks(self, key: Key, owner_uid: str) -> bool:
        dependent = self._store.get(key.kind, key.namespace, key.name)
        return dependent is not None and any(
            ref.get("uid") == owner_uid and ref.get("blockOwnerDeletion")
            for ref in dependent["metadata"].get("ownerReferences") or [])

    def _orphan(self, owner_uid: str) -> None:
        found = self._owner(owner_uid, ORPHAN)
        if found is None:
            return
        for key in self._store.dependents(owner_uid):
            dependent = self._store.get(key.kind, key.namespace, key.name)
            if dependent is not None:
                self._drop_reference(key, dependent, owner_uid)
        self._drop_finalizer(*found, ORPHAN)

    def _owner(self, uid: str, finalizer: str) -> tuple[Key, dict] | None:
        """The owner with this uid, if it still holds `finalizer`."""
        key = self._store.key_of(uid)
        owner = self._store.get(key.kind, key.namespace or None, key.name) if key is not None else None
        if owner is None or finalizer not in (owner["metadata"].get("finalizers") or []):
            return None
        return key, owner

    def _delete_all(self, kind: str) -> None:
        for obj in self._store.list(kind):
            meta = obj["metadata"]
            self._delete(Key(kind, meta.get("namespace", ""), meta["name"]))

    def _delete(self, key: Key, finalizers: tuple[str, ...] = ()) -> None:
        quietly(lambda: self._store.delete(key.kind, key.namespace or None, key.name, finalizers=finalizers))

    def _drop_reference(self, key: Key, dependent: dict, owner_uid: str) -> None:
        self._drop(key, "ownerReferences", lambda ref: ref.get("uid") == owner_uid)

    def _drop_finalizer(self, key: Key, obj: dict, finalizer: str) -> None:
        self._drop(key, "finalizers", lambda name: name == finalizer)

    def _drop(self, key: Key, field: str, unwanted: Callable[[object], bool]) -> None:
        """Take the `unwanted` entries out of metadata.<field> (a write under the read's resourceVersion)."""
        def change(obj: dict) -> bool:
            entries = obj["metadata"].get(field) or []
            kept = [entry for entry in entries if not unwanted(entry)]
            obj["metadata"][field] = kept
            return len(kept) != len(entries)

        modify(self._store, key.kind, key.namespace or None, key.name, change)
