"""The StatefulSet controller: pods with stable names `<set>-0 .. <set>-(n-1)`, and their status.

OrderedReady (the default) creates ordinal i only once every lower ordinal is
Running and Ready, and removes the highest ordinal first; Parallel creates and
removes all at once. A template change is rolled out (RollingUpdate) by
deleting, highest ordinal first and one at a time while the others are Ready,
the pods of the old revision at or above `partition`; they come back with the
new one. Simplifications: revisions are template hashes (no ControllerRevision
objects); no volumeClaimTemplates; OnDelete leaves old pods alone.
"""

from __future__ import annotations

from functools import partial

from support.localcluster.access import EventRecorder, WorkQueue
from support.localcluster.controllers import workloads
from support.localcluster.errors import ApiError
from support.localcluster.store import Store

REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
COMPONENT = "statefulset-controller"


class StatefulSetController:
    def __init__(self, store: Store, queue: WorkQueue, events: EventRecorder, node_name: str):
        self._store, self._queue, self._events = store, queue, events
        self._node_name = node_name

    def start(self) -> None:
        self._store.subscribe(self._on_event)
        for sts in self._store.list("StatefulSet"):
            self._queue.submit(partial(self._reconcile, sts["metadata"].get("namespace", ""), sts["metadata"]["name"]))

    def stop(self) -> None:
        self._store.unsubscribe(self._on_event)

    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        meta = obj["metadata"]
        if kind == "StatefulSet":
            self._queue.submit(partial(self._reconcile, meta.get("namespace", ""), meta["name"]))
        elif kind == "Pod":
            owner = workloads.controller_of(obj, "StatefulSet")
            if owner is not None:
                self._queue.submit(partial(self._reconcile, meta.get("namespace", ""), owner))

    def _reconcile(self, namespace: str, name: str) -> None:
        sts = self._store.get("StatefulSet", namespace, name)
        if sts is None:
            return
        revision = revision_of(sts)
        if not sts["metadata"].get("deletionTimestamp") and not workloads.terminating_namespace(self._store, namespace):
            self._sync(sts, revision)
        pods = self._pods(sts)
        workloads.status_changed(self._store, "StatefulSet", sts, stateful_set_status(sts, pods, revision))

    def _pods(self, sts: dict) -> dict[int, dict]:
        found = workloads.owned(self._store, "Pod", sts["metadata"].get("namespace", ""), sts["metadata"]["uid"])
        return {index: pod for pod in found if (index := ordinal(sts, pod)) is not None and workloads.is_active(pod)}

    def _sync(self, sts: dict, revision: str) -> None:
        replicas, parallel = workloads.replicas_of(sts), _policy(sts) == "Parallel"
        pods = self._pods(sts)
        for index in range(replicas):
            if index in pods:
                if not parallel and not workloads.is_running_and_ready(pods[index]):
                    return  # OrderedReady: the next ordinal waits for this one to be Running and Ready
                continue
            self._create_pod(sts, index, revision)
            if not parallel:
                return
            pods = self._pods(sts)
        if not parallel and not all(workloads.is_running_and_ready(pods[i]) for i in range(replicas) if i in pods):
            return
        extra = sorted((i for i in pods if i >= replicas), reverse=True)
        for index in extra if parallel else extra[:1]:
            self._delete_pod(sts, pods[index])
        if not extra:
            self._roll(sts, pods, revision)

    def _roll(self, sts: dict, pods: dict[int, dict], revision: str) -> None:
        strategy = (sts.get("spec") or {}).get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return
        partition = ((strategy.get("rollingUpdate") or {}).get("partition")) or 0
        if not all(workloads.is_running_and_ready(pod) for pod in pods.values()):
            return
        stale = sorted((i for i, pod in pods.items() if i >= partition and _revision(pod) != revision), reverse=True)
        if stale:
            self._delete_pod(sts, pods[stale[0]])

    def _create_pod(self, sts: dict, index: int, revision: str) -> None:
        meta, spec = sts["metadata"], sts.get("spec") or {}
        name = f"{meta['name']}-{index}"
        labels = {REVISION_LABEL: revision, POD_NAME_LABEL: name, POD_INDEX_LABEL: str(index)}
        extra = {"hostname": name, **({"subdomain": spec["serviceName"]} if spec.get("serviceName") else {})}
        pod = workloads.pod_from_template(sts, spec.get("template") or {}, name, labels, self._node_name, extra)
        try:
            self._store.create("Pod", pod)
        except ApiError as error:
            if error.code == 409:
                return  # the old pod of this ordinal still exists: the next event retries
            raise
        self._events.emit(sts, "SuccessfulCreate", COMPONENT, f"create Pod {name} in StatefulSet {meta['name']} successful")

    def _delete_pod(self, sts: dict, pod: dict) -> None:
        name = pod["metadata"]["name"]
        workloads.quietly(lambda: self._store.delete("Pod", pod["metadata"].get("namespace"), name))
        self._events.emit(sts, "SuccessfulDelete", COMPONENT,
                          f"delete Pod {name} in StatefulSet {sts['metadata']['name']} successful")


def revision_of(sts: dict) -> str:
    return f"{sts['metadata']['name']}-{workloads.safe_hash((sts.get('spec') or {}).get('template') or {})}"


def ordinal(sts: dict, pod: dict) -> int | None:
    prefix, name = sts["metadata"]["name"] + "-", pod["metadata"]["name"]
    suffix = name[len(prefix):] if name.startswith(prefix) else ""
    return int(suffix) if suffix.isdigit() else None


def _revision(pod: dict) -> str | None:
    return (pod["metadata"].get("labels") or {}).get(REVISION_LABEL)


def _policy(sts: dict) -> str:
    return (sts.get("spec") or {}).get("podManagementPolicy") or "OrderedReady"


def stateful_set_status(sts: dict, pods: dict[int, dict], revision: str) -> dict:
    """apps/v1 StatefulSetStatus; zero counts omitted, as Kubernetes does."""
    ready = sum(1 for p in pods.values() if workloads.is_ready(p))
    updated = sum(1 for p in pods.values() if _revision(p) == revision)
    previous = sts.get("status") or {}
    current = previous.get("currentRevision") or revision
    if updated == workloads.replicas_of(sts) == len(pods):
        current = revision  # the rollout is complete
    counts = {"readyReplicas": ready, "availableReplicas": ready,
              "currentReplicas": sum(1 for p in pods.values() if _revision(p) == current), "updatedReplicas": updated}
    return {"observedGeneration": sts["metadata"].get("generation", 1), "replicas": len(pods),
            **{k: v for k, v in counts.items() if v}, "currentRevision": current, "updateRevision": revision,
            "collisionCount": 0}
