"""The ReplicaSet controller: a ReplicaSet keeps `spec.replicas` pods of its template, and reports them.

Pods are created from the template with a generated name (`<rs>-xxxxx`) and a
controller reference; extra pods go not-ready first, then the newest.
Simplifications: no adoption of orphaned pods that match the selector; no
burst limits (all missing pods are created at once).
"""

from __future__ import annotations

import itertools
import random
from functools import partial

from support.localcluster.access import ADDED, EventRecorder, WorkQueue
from support.localcluster.controllers import workloads
from support.localcluster.errors import ApiError
from support.localcluster.store import Store

COMPONENT = "replicaset-controller"


class ReplicaSetController:
    def __init__(self, store: Store, queue: WorkQueue, events: EventRecorder, node_name: str, seed: int = 0):
        self._store, self._queue, self._events = store, queue, events
        self._node_name = node_name
        self._random = random.Random(seed)
        self._order: dict[str, int] = {}  # pod uid -> the order it was created in (scale-down tie-break)
        self._orders = itertools.count()

    def start(self) -> None:
        self._store.subscribe(self._on_event)
        for rs in self._store.list("ReplicaSet"):
            self._queue.submit(partial(self._reconcile, rs["metadata"].get("namespace", ""), rs["metadata"]["name"]))

    def stop(self) -> None:
        self._store.unsubscribe(self._on_event)

    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        meta = obj["metadata"]
        if kind == "ReplicaSet":
            self._queue.submit(partial(self._reconcile, meta.get("namespace", ""), meta["name"]))
        elif kind == "Pod":
            if event == ADDED:
                self._order.setdefault(meta["uid"], next(self._orders))
            owner = workloads.controller_of(obj, "ReplicaSet")
            if owner is not None:
                self._queue.submit(partial(self._reconcile, meta.get("namespace", ""), owner))

    def _reconcile(self, namespace: str, name: str) -> None:
        rs = self._store.get("ReplicaSet", namespace, name)
        if rs is None:
            return
        pods = [p for p in workloads.owned(self._store, "Pod", namespace, rs["metadata"]["uid"]) if workloads.is_active(p)]
        if not rs["metadata"].get("deletionTimestamp") and not workloads.terminating_namespace(self._store, namespace):
            pods = self._scale(rs, pods)
        workloads.status_changed(self._store, "ReplicaSet", rs, replica_set_status(rs, pods))

    def _scale(self, rs: dict, pods: list[dict]) -> list[dict]:
        diff = len(pods) - workloads.replicas_of(rs)
        if diff < 0:
            return pods + [pod for pod in (self._create_pod(rs) for _ in range(-diff)) if pod is not None]
        if diff > 0:
            victims = sorted(pods, key=self._deletion_rank)[:diff]
            for victim in victims:
                self._delete_pod(rs, victim)
            return [p for p in pods if p not in victims]
        return pods

    def _deletion_rank(self, pod: dict) -> tuple:
        """Deleted first: not running, then not ready, then the newest (as Kubernetes ranks them)."""
        return ((pod.get("status") or {}).get("phase") == "Running", workloads.is_ready(pod),
                -self._order.get(pod["metadata"]["uid"], -1))

    def _create_pod(self, rs: dict) -> dict | None:
        template = (rs.get("spec") or {}).get("template") or {}
        for _ in range(20):
            suffix = "".join(self._random.choice(workloads.SAFE_ALPHABET) for _ in range(5))
            name = f"{rs['metadata']['name']}-{suffix}"
            pod = workloads.pod_from_template(rs, template, name, {}, self._node_name)
            pod["metadata"]["generateName"] = f"{rs['metadata']['name']}-"
            try:
                created = self._store.create("Pod", pod)
            except ApiError as error:
                if error.code != 409:
                    raise
                continue
            self._events.emit(rs, "SuccessfulCreate", COMPONENT, f"Created pod: {name}")
            return created
        return None

    def _delete_pod(self, rs: dict, pod: dict) -> None:
        name = pod["metadata"]["name"]
        workloads.quietly(lambda: self._store.delete("Pod", pod["metadata"].get("namespace"), name))
        self._events.emit(rs, "SuccessfulDelete", COMPONENT, f"Deleted pod: {name}")


def replica_set_status(rs: dict, pods: list[dict]) -> dict:
    """apps/v1 ReplicaSetStatus for its active pods; zero counts omitted, as Kubernetes does."""
    ready = sum(1 for p in pods if workloads.is_ready(p))
    selector = ((rs.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    labelled = sum(1 for p in pods if all(p["metadata"].get("labels", {}).get(k) == v for k, v in selector.items()))
    counts = {"fullyLabeledReplicas": labelled, "readyReplicas": ready, "availableReplicas": ready}
    return {"replicas": len(pods), **{k: v for k, v in counts.items() if v},
            "observedGeneration": rs["metadata"].get("generation", 1)}
