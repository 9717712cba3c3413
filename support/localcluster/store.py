"""The embedded cluster's object store: what etcd plus the API server's bookkeeping are.

Objects are plain dicts shaped like Kubernetes JSON, keyed by (kind, namespace, name).
The store stamps uid, resourceVersion, generation and creationTimestamp, checks
optimistic concurrency, and tells subscribers about every change after it is made.
What `get` and `list` return is a deep copy: callers can never mutate stored state by
accident. A write copies what it is given and returns a copy, unless the caller hands the
object over (`take=True`, the API server's write path: it then gets the stored object back).
`peek` and `list_refs` (the API server's read path), what `take` writes return, and what
subscribers get are the stored objects themselves: read-only.
It implements `access.ClusterAccess` for the in-process controllers and the node agent.

It also keeps what kube-apiserver's watch cache keeps: per kind, a window of the
latest changes (`Change`, in resourceVersion order), so a watch can start after a
given resourceVersion, and one that starts before the window gets 410 Gone.
A stored dict is never mutated once stored (a write stores a new one), so changes
and watch sinks share the stored objects without copying them.
"""

from __future__ import annotations

import collections
import copy
import itertools
import threading
import uuid
from dataclasses import dataclass
from typing import Callable, Iterable

from support.clock import Clock, rfc3339
from support.localcluster.access import ADDED, DELETED, MODIFIED, Listener
from support.localcluster.errors import already_exists, conflict, gone, invalid, not_found

HISTORY_PER_KIND = 2000  # changes kept per kind for watches that resume from a resourceVersion


@dataclass(frozen=True)
class Change:
    """One write, as a watch sees it. `obj` and `old` are the stored (never mutated) dicts."""

    type: str  # ADDED, MODIFIED or DELETED
    kind: str
    rv: int
    obj: dict
    old: dict | None = None  # the object before a MODIFIED change


Sink = Callable[[Change], None]  # called under the store lock: must only queue, never block or write


@dataclass(frozen=True)
class WatchStart:
    """What a watch starts from: the current objects (no resourceVersion given) or the changes after it."""

    objects: list[dict]
    changes: list[Change]
    rv: int  # the store's resourceVersion when the watch was registered


@dataclass(frozen=True)
class Key:
    kind: str
    namespace: str  # "" for cluster-scoped objects
    name: str


class Store:
    def __init__(self, clock: Clock, history: int = HISTORY_PER_KIND):
        self._clock = clock
        self._objects: dict[Key, dict] = {}
        self._lock = threading.RLock()
        self._versions = itertools.count(1)
        self._last_rv = 0
        self._listeners: list[Listener] = []
        self._history_size = history
        self._history: dict[str, collections.deque[Change]] = {}
        self._expired_through: dict[str, int] = {}  # kind -> newest resourceVersion dropped from its history
        self._sinks: dict[str, list[Sink]] = {}
        self._by_uid: dict[str, Key] = {}
        self._by_kind: dict[str, dict[Key, dict]] = {}
        self._dependents: dict[str, set[Key]] = {}  # owner uid -> keys of objects whose ownerReferences name it

    # -- reading -----------------------------------------------------------
    def get(self, kind: str, namespace: str | None, name: str) -> dict | None:
        obj = self.peek(kind, namespace, name)
        return copy.deepcopy(obj) if obj is not None else None

    def peek(self, kind: str, namespace: str | None, name: str) -> dict | None:
        """The stored object itself: read-only."""
        return self._objects.get(Key(kind, namespace or "", name))

    def must_get(self, kind: str, namespace: str | None, name: str) -> dict:
        obj = self.get(kind, namespace, name)
        if obj is None:
            raise not_found(kind, name)
        return obj

    def list(self, kind: str, namespace: str | None = None,
             labels: Callable[[dict], bool] | None = None) -> list[dict]:
        """Objects of `kind` (in `namespace`, or all when None), optionally filtered by a label predicate."""
        return copy.deepcopy(self._select(kind, namespace, labels))

    def list_refs(self, kind: str, namespace: str | None = None) -> tuple[list[dict], str]:
        """The stored objects of `kind` (read-only) and the resourceVersion they are current at, read atomically."""
        with self._lock:
            return self._select(kind, namespace, None), self.resource_version()

    def _select(self, kind: str, namespace: str | None, labels: Callable[[dict], bool] | None) -> list[dict]:
        with self._lock:
            found = [o for k, o in self._by_kind.get(kind, {}).items()
                     if (namespace is None or k.namespace == namespace)
                     and (labels is None or labels(o.get("metadata", {}).get("labels") or {}))]
        found.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return found

    def kind_version(self, kind: str) -> int:
        """The resourceVersion of the latest change to any object of `kind` (0 if none): a cache key."""
        with self._lock:
            history = self._history.get(kind)
            return history[-1].rv if history else 0

    def resource_version(self) -> str:
        """The resourceVersion of the latest write (what a list reports)."""
        return str(self._last_rv)

    def _next_rv(self) -> int:
        self._last_rv = next(self._versions)
        return self._last_rv

    # -- writing -----------------------------------------------------------
    def create(self, kind: str, obj: dict, *, take: bool = False) -> dict:
        """Store a new object; returns it as stored (a copy, or with `take` the stored object: read-only)."""
        obj = obj if take else copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        _omit_empty(meta)
        if not meta.get("name"):
            raise invalid(kind, "", "metadata.name: Required value: name or generateName is required")
        key = Key(kind, meta.get("namespace") or "", meta["name"])
        with self._lock:
            if key in self._objects:
                raise already_exists(kind, meta["name"])
            meta["uid"] = str(uuid.UUID(int=self._next_rv() * 7919 + 1, version=4))
            meta["creationTimestamp"] = rfc3339(self._clock.now())
            meta["generation"] = 1
            meta["resourceVersion"] = str(self._next_rv())
            self._objects[key] = obj
            self._by_kind.setdefault(kind, {})[key] = obj
            self._index(key, None, obj)
            self._record(Change(ADDED, kind, self._last_rv, obj))
        self._notify(ADDED, kind, obj)
        return obj if take else copy.deepcopy(obj)

    def update(self, kind: str, obj: dict, *, status_only: bool = False, finalize: bool = False,
               take: bool = False) -> dict:
        """Replace an object. A stale metadata.resourceVersion is a 409 Conflict.

        `status_only` mirrors the /status subresource: only `status` changes;
        `finalize` a namespace's /finalize: only `spec.finalizers` changes.
        Otherwise `status` is kept as stored (as for CRDs with a status subresource)
        unless the kind keeps no separate status (ConfigMap...), and so are a
        namespace's spec.finalizers.
        An object being deleted goes once an update leaves it without finalizers,
        and gets no new ones. Returns the object as stored (a copy, or with `take`, by which the
        caller hands `obj` over, the stored object itself: read-only).
        """
        obj = obj if take else copy.deepcopy(obj)
        meta = obj.get("metadata", {})
        key = Key(kind, meta.get("namespace") or "", meta.get("name", ""))
        with self._lock:
            stored = self._objects.get(key)
            if stored is None:
                raise not_found(kind, key.name)
            sent_version = meta.get("resourceVersion")
            if sent_version and sent_version != stored["metadata"]["resourceVersion"]:
                raise conflict(kind, key.name)
            new = self._merge_for_update(stored, obj, "status" if status_only else "finalize" if finalize else None)
            _omit_empty(new["metadata"])
            if new == stored:
                return stored if take else copy.deepcopy(stored)
            _check_no_new_finalizers(kind, stored, new)
            if new.get("spec") != stored.get("spec"):
                new["metadata"]["generation"] = stored["metadata"].get("generation", 1) + 1
            new["metadata"]["resourceVersion"] = str(self._next_rv())
            event = DELETED if new["metadata"].get("deletionTimestamp") and not finalizers_of(kind, new) else MODIFIED
            self._commit(key, stored, new, event)
        self._notify(event, kind, new)
        return new if take else copy.deepcopy(new)

    def update_status(self, kind: str, obj: dict, *, take: bool = False) -> dict:
        """Replace only `status` (the /status subresource). Only `obj["status"]` is stored, so with `take`
        only it need be the caller's to hand over (the rest may be shared with a stored object)."""
        return self.update(kind, obj, status_only=True, take=take)

    def delete(self, kind: str, namespace: str | None, name: str, *, finalizers: Iterable[str] = (),
               status: dict | None = None) -> dict:
        """Delete at once, or, while finalizers remain (`finalizers` adds some, e.g. foregroundDeletion),
        stamp deletionTimestamp (merging `status`, e.g. a namespace's Terminating phase) and keep it.
        Returns the object as deleted, or as it now waits for its finalizers."""
        key = Key(kind, namespace or "", name)
        with self._lock:
            stored = self._objects.get(key)
            if stored is None:
                raise not_found(kind, name)
            meta = stored["metadata"]
            added = [f for f in finalizers if f not in finalizers_of(kind, stored)]
            if not added and not finalizers_of(kind, stored):
                new, event = {**stored, "metadata": {**meta, "resourceVersion": str(self._next_rv())}}, DELETED
            elif meta.get("deletionTimestamp") and not added:
                return copy.deepcopy(stored)  # already waiting for its finalizers
            else:
                new = {**stored, "metadata": {**meta, "deletionTimestamp": meta.get("deletionTimestamp")
                                              or rfc3339(self._clock.now()), "deletionGracePeriodSeconds": 0,
                                              "finalizers": list(meta.get("finalizers") or []) + added,
                                              "resourceVersion": str(self._next_rv())}}
                if status:
                    new["status"] = {**(stored.get("status") or {}), **status}
                event = MODIFIED
            self._commit(key, stored, new, event)
        self._notify(event, kind, new)
        return copy.deepcopy(new)

    def _commit(self, key: Key, stored: dict, new: dict, event: str) -> None:
        """Store (or, for DELETED, drop) `new`, index it and record the change (lock held)."""
        if event == DELETED:
            del self._objects[key]
            del self._by_kind[key.kind][key]
            self._index(key, stored, None)
            self._record(Change(DELETED, key.kind, self._last_rv, new))
        else:
            self._objects[key] = new
            self._by_kind[key.kind][key] = new
            self._index(key, stored, new)
            self._record(Change(MODIFIED, key.kind, self._last_rv, new, stored))

    def dependents(self, uid: str) -> list[Key]:
        """Keys of objects whose metadata.ownerReferences name `uid` (what garbage collection deletes)."""
        with self._lock:
            return sorted(self._dependents.get(uid, ()), key=lambda k: (k.kind, k.namespace, k.name))

    def key_of(self, uid: str) -> Key | None:
        """Where the object with this uid is stored (None: no such object)."""
        with self._lock:
            return self._by_uid.get(uid)

    def exists(self, uid: str) -> bool:
        """Whether an object with this uid is stored (an owner reference is alive)."""
        with self._lock:
            return uid in self._by_uid

    def _index(self, key: Key, old: dict | None, new: dict | None) -> None:
        if old is not None:
            self._by_uid.pop(old["metadata"]["uid"], None)
            for owner in _owner_uids(old):
                keys = self._dependents.get(owner)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._dependents[owner]
        if new is not None:
            self._by_uid[new["metadata"]["uid"]] = key
            for owner in _owner_uids(new):
                self._dependents.setdefault(owner, set()).add(key)

    def kinds_in(self, namespace: str) -> Iterable[Key]:
        with self._lock:
            return [k for k in self._objects if k.namespace == namespace]

    # -- watching ----------------------------------------------------------
    def watch(self, kind: str, since: int | None, sink: Sink) -> WatchStart:
        """Register `sink` for every later change of `kind`; atomically with what the watch starts from.

        `since` None: the current objects; else the retained changes after resourceVersion `since`
        (410 Gone when changes after it have left the history window).
        """
        with self._lock:
            if since is None:
                objects = [o for k, o in self._objects.items() if k.kind == kind]
                objects.sort(key=lambda o: int(o["metadata"]["resourceVersion"]))
                start = WatchStart(objects, [], self._last_rv)
            else:
                history = self._history.get(kind, ())
                if since < self._expired_through.get(kind, 0):
                    raise gone(since, history[0].rv - 1 if history else self._last_rv)
                start = WatchStart([], [c for c in history if c.rv > since], self._last_rv)
            self._sinks.setdefault(kind, []).append(sink)
            return start

    def unwatch(self, kind: str, sink: Sink) -> None:
        with self._lock:
            sinks = self._sinks.get(kind, [])
            if sink in sinks:
                sinks.remove(sink)

    def under_lock(self, action: Callable[[int], None]) -> None:
        """Run `action(current resourceVersion)` with no write in between (a watch bookmark's moment)."""
        with self._lock:
            action(self._last_rv)

    def _record(self, change: Change) -> None:
        """Keep `change` in its kind's history and hand it to that kind's watch sinks (lock held)."""
        history = self._history.get(change.kind)
        if history is None:
            history = self._history[change.kind] = collections.deque(maxlen=self._history_size)
        if len(history) == history.maxlen:
            self._expired_through[change.kind] = history[0].rv
        history.append(change)
        for sink in self._sinks.get(change.kind, ()):
            sink(change)

    def subscribe(self, listener: Listener) -> None:
        """`listener(event, kind, obj)` runs after each change, outside the store lock."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, event: str, kind: str, obj: dict) -> None:
        for listener in list(self._listeners):
            listener(event, kind, obj)

    @staticmethod
    def _merge_for_update(stored: dict, sent: dict, part: str | None) -> dict:
        """The object an update stores: `sent` (a private copy) with what it may not change kept as stored.
        Stored dicts are shared, never mutated: only the new top level and metadata are fresh."""
        if part == "status":
            return {**stored, "metadata": dict(stored["metadata"]), "status": sent.get("status", {})}
        if part == "finalize":  # a namespace's /finalize: spec.finalizers only
            spec = {**(stored.get("spec") or {}), "finalizers": (sent.get("spec") or {}).get("finalizers") or []}
            return {**stored, "metadata": dict(stored["metadata"]), "spec": spec}
        new = sent
        new["metadata"].update({k: stored["metadata"][k] for k in _SYSTEM_FIELDS if k in stored["metadata"]})
        if "status" in stored and kind_has_status_subresource(stored):
            new["status"] = stored["status"]
        if stored.get("kind") == "Namespace" and "finalizers" in (stored.get("spec") or {}):
            new["spec"] = {**(new.get("spec") or {}), "finalizers": stored["spec"]["finalizers"]}
        return new


# metadata only the cluster sets: an update keeps what is stored (a deletion, once begun, stays)
_SYSTEM_FIELDS = ("uid", "creationTimestamp", "generation", "resourceVersion", "deletionTimestamp",
                  "deletionGracePeriodSeconds")

# Kinds whose status is only written through the /status subresource.
_STATUS_SUBRESOURCE_KINDS = {"Deployment", "Pod", "BudAIScaler", "Namespace", "CustomResourceDefinition", "Service"}


def _omit_empty(meta: dict) -> None:
    """Go's omitempty: an empty list or map in metadata is not there at all."""
    for key in ("labels", "annotations", "finalizers", "ownerReferences", "managedFields"):
        if key in meta and not meta[key]:
            del meta[key]


def finalizers_of(kind: str, obj: dict) -> list[str]:
    """What holds an object's deletion: metadata.finalizers (and a namespace's spec.finalizers)."""
    held = list(obj["metadata"].get("finalizers") or [])
    if kind == "Namespace":
        held += list((obj.get("spec") or {}).get("finalizers") or [])
    return held


def _check_no_new_finalizers(kind: str, stored: dict, new: dict) -> None:
    if not stored["metadata"].get("deletionTimestamp"):
        return
    added = [f for f in new["metadata"].get("finalizers") or [] if f not in (stored["metadata"].get("finalizers") or [])]
    if added:
        shown = "[]string{" + ", ".join(f'"{f}"' for f in added) + "}"
        raise invalid(kind, stored["metadata"]["name"], "metadata.finalizers: Forbidden: no new finalizers can be "
                                                        f"added if the object is being deleted, found new finalizers {shown}")


def kind_has_status_subresource(obj: dict) -> bool:
    return obj.get("kind") in _STATUS_SUBRESOURCE_KINDS


def _owner_uids(obj: dict) -> list[str]:
    return [ref["uid"] for ref in obj["metadata"].get("ownerReferences") or [] if isinstance(ref, dict) and ref.get("uid")]
