"""The namespace controller: a deleted namespace is emptied, then finalized.

The API server stamps a deleted namespace's deletionTimestamp and Terminating
phase (no new content goes in); this controller deletes everything in it
(objects with finalizers wait for them), reports what remains in the
namespace's conditions, and once nothing is left removes its `kubernetes`
finalizer, which lets the namespace go. What holds the namespace (say a
BudAIScaler whose controller has not removed its finalizer) holds it as long
as on a real cluster.
"""

from __future__ import annotations

import collections
from functools import partial

from support.clock import Clock, rfc3339
from support.localcluster.access import DELETED, WorkQueue
from support.localcluster.controllers.workloads import quietly
from support.localcluster.store import Store

FINALIZER = "kubernetes"
CRD_KIND = "CustomResourceDefinition"
_BUILTIN_RESOURCES = {"Deployment": "deployments.apps", "ReplicaSet": "replicasets.apps",
                      "StatefulSet": "statefulsets.apps", "Lease": "leases.coordination.k8s.io"}


class NamespaceController:
    def __init__(self, store: Store, clock: Clock, queue: WorkQueue):
        self._store, self._clock, self._queue = store, clock, queue
        self._deleting: set[str] = set()

    def start(self) -> None:
        self._store.subscribe(self._on_event)
        for namespace in self._store.list("Namespace"):
            if namespace["metadata"].get("deletionTimestamp"):
                self._begin(namespace["metadata"]["name"])

    def stop(self) -> None:
        self._store.unsubscribe(self._on_event)

    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        meta = obj["metadata"]
        if kind == "Namespace":
            if event == DELETED:
                self._deleting.discard(meta["name"])
            elif meta.get("deletionTimestamp"):
                self._begin(meta["name"])
        elif event == DELETED and meta.get("namespace") in self._deleting:
            self._queue.submit(partial(self._sweep, meta["namespace"]))  # what held the namespace may be gone

    def _begin(self, name: str) -> None:
        self._deleting.add(name)
        self._queue.submit(partial(self._sweep, name))

    def _sweep(self, name: str) -> None:
        namespace = self._store.get("Namespace", None, name)
        if namespace is None or not namespace["metadata"].get("deletionTimestamp"):
            return
        # read-only looks (peek, list_refs): a sweep runs on every deletion in the namespace, and copying
        # each object it looks at (and every CRD per remaining object) made a namespace's end quadratic
        for key in list(self._store.kinds_in(name)):
            obj = self._store.peek(key.kind, key.namespace, key.name)
            if obj is not None and not obj["metadata"].get("deletionTimestamp"):
                quietly(lambda: self._store.delete(key.kind, key.namespace, key.name))
        remaining = [o for k in list(self._store.kinds_in(name))
                     if (o := self._store.peek(k.kind, k.namespace, k.name))]
        if remaining:
            self._report(namespace, remaining)
        elif FINALIZER in ((namespace.get("spec") or {}).get("finalizers") or []):
            spec = {**namespace["spec"], "finalizers": [f for f in namespace["spec"]["finalizers"] if f != FINALIZER]}
            meta = {k: v for k, v in namespace["metadata"].items() if k != "resourceVersion"}
            quietly(lambda: self._store.update("Namespace", {**namespace, "metadata": meta, "spec": spec},
                                               finalize=True))

    def _report(self, namespace: dict, remaining: list[dict]) -> None:
        """The conditions kube-controller-manager writes while content remains."""
        resources = collections.Counter(self._resource(o.get("kind", "")) for o in remaining)
        finalizers = collections.Counter(f for o in remaining for f in o["metadata"].get("finalizers") or [])
        now = rfc3339(self._clock.now())
        conditions = [
            _condition("NamespaceContentRemaining", True, "SomeResourcesRemain", "Some resources are remaining: "
                       + ", ".join(f"{r} has {n} resource instances" for r, n in sorted(resources.items())), now),
            _condition("NamespaceFinalizersRemaining", bool(finalizers), "SomeFinalizersRemain" if finalizers
                       else "ContentHasNoFinalizers", "Some content in the namespace has finalizers remaining: "
                       + ", ".join(f"{f} in {n} resource instances" for f, n in sorted(finalizers.items()))
                       if finalizers else "All content-preserving finalizers finished", now)]
        status = namespace.get("status") or {}
        if [_without_time(c) for c in status.get("conditions") or []] == [_without_time(c) for c in conditions]:
            return
        meta = {k: v for k, v in namespace["metadata"].items() if k != "resourceVersion"}
        quietly(lambda: self._store.update_status("Namespace", {**namespace, "metadata": meta,
                                                                  "status": {**status, "conditions": conditions}}))

    def _resource(self, kind: str) -> str:
        """How kube-controller-manager names a resource in its messages (`budaiscalers.scaler.bud.studio`)."""
        for crd in self._store.list_refs(CRD_KIND)[0]:
            names = (crd.get("spec") or {}).get("names") or {}
            if names.get("kind") == kind:
                return f"{names.get('plural')}.{crd['spec'].get('group')}"
        return _BUILTIN_RESOURCES.get(kind, f"{kind.lower()}s")


def _condition(kind: str, status: bool, reason: str, message: str, now: str) -> dict:
    return {"type": kind, "status": "True" if status else "False", "lastTransitionTime": now,
            "reason": reason, "message": message}


def _without_time(condition: dict) -> dict:
    return {k: v for k, v in condition.items() if k != "lastTransitionTime"}
