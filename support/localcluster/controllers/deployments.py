"""The deployment controller: a Deployment runs its template through ReplicaSets it owns.

As kube-controller-manager's: a template change makes a new ReplicaSet
(`<deployment>-<pod-template-hash>`, revision annotation +1); RollingUpdate moves
replicas from the old ReplicaSets to the new one within maxSurge/maxUnavailable
as pods become available, Recreate scales the old ones to zero first; scaling
the Deployment scales its only active ReplicaSet; old ReplicaSets beyond
revisionHistoryLimit go. Simplifications: scaling in the middle of a rollout
is not proportional (the rollout absorbs it); no pause, no progress deadline;
minReadySeconds is 0 (available = ready).
"""

from __future__ import annotations

import math
from functools import partial

from support.clock import rfc3339
from support.localcluster.access import EventRecorder, TimerClock, WorkQueue
from support.localcluster.controllers import workloads
from support.localcluster.errors import ApiError
from support.localcluster.store import Store

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
COMPONENT = "deployment-controller"


class DeploymentController:
    def __init__(self, store: Store, clock: TimerClock, queue: WorkQueue, events: EventRecorder):
        self._store, self._clock, self._queue, self._events = store, clock, queue, events

    def start(self) -> None:
        self._store.subscribe(self._on_event)
        for deployment in self._store.list("Deployment"):
            meta = deployment["metadata"]
            self._queue.submit(partial(self._reconcile, meta.get("namespace", ""), meta["name"]))

    def stop(self) -> None:
        self._store.unsubscribe(self._on_event)

    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        meta = obj["metadata"]
        if kind == "Deployment":
            self._queue.submit(partial(self._reconcile, meta.get("namespace", ""), meta["name"]))
        elif kind == "ReplicaSet":
            owner = workloads.controller_of(obj, "Deployment")
            if owner is not None:
                self._queue.submit(partial(self._reconcile, meta.get("namespace", ""), owner))

    # -- one pass -------------------------------------------------------------------
    def _reconcile(self, namespace: str, name: str) -> None:
        deployment = self._store.get("Deployment", namespace, name)
        if deployment is None:
            return
        sets = workloads.owned(self._store, "ReplicaSet", namespace, deployment["metadata"]["uid"])
        new = next((rs for rs in sets if same_template(rs, deployment)), None)
        if deployment["metadata"].get("deletionTimestamp") or workloads.terminating_namespace(self._store, namespace):
            self._write_status(deployment, new, sets)
            return
        old = sorted((rs for rs in sets if rs is not new), key=_created)
        if new is None:
            new = self._create_replica_set(deployment, old)
        if new is None:
            return
        sets = [*old, new]
        if _strategy(deployment) == "Recreate":
            self._recreate(deployment, new, old)
        else:
            self._roll(deployment, new, old)
        self._clean_up(deployment, old)
        self._write_status(self._store.get("Deployment", namespace, name) or deployment, new,
                           workloads.owned(self._store, "ReplicaSet", namespace, deployment["metadata"]["uid"]))

    def _roll(self, deployment: dict, new: dict, old: list[dict]) -> None:
        desired = workloads.replicas_of(deployment)
        if not any(workloads.replicas_of(rs) > 0 for rs in old):
            self._scale(deployment, new, desired)  # nothing to roll from: the new set takes the full count
            return
        surge, unavailable = max_surge(deployment), max_unavailable(deployment)
        new_replicas = workloads.replicas_of(new)
        if new_replicas > desired:
            new = self._scale(deployment, new, desired)
        else:
            total = sum(workloads.replicas_of(rs) for rs in [*old, new])
            if total < desired + surge:
                new = self._scale(deployment, new, new_replicas + min(desired + surge - total, desired - new_replicas))
        self._scale_down_old(deployment, new, old, desired - unavailable)

    def _scale_down_old(self, deployment: dict, new: dict, old: list[dict], min_available: int) -> None:
        all_sets = [*old, new]
        new_unavailable = workloads.replicas_of(new) - _available(new)
        room = sum(workloads.replicas_of(rs) for rs in all_sets) - min_available - new_unavailable
        for rs in old:  # unhealthy replicas of old sets first: they would block the rollout
            if room <= 0:
                return
            unhealthy = workloads.replicas_of(rs) - _available(rs)
            if workloads.replicas_of(rs) > 0 and unhealthy > 0:
                cut = min(room, unhealthy)
                self._scale(deployment, rs, workloads.replicas_of(rs) - cut)
                room -= cut
        old = [self._store.get("ReplicaSet", rs["metadata"].get("namespace"), rs["metadata"]["name"]) or rs
               for rs in old]
        excess = sum(_available(rs) for rs in [*old, new]) - min_available
        for rs in old:
            if excess <= 0:
                return
            if workloads.replicas_of(rs) > 0:
                cut = min(workloads.replicas_of(rs), excess)
                self._scale(deployment, rs, workloads.replicas_of(rs) - cut)
                excess -= cut

    def _recreate(self, deployment: dict, new: dict, old: list[dict]) -> None:
        for rs in old:
            if workloads.replicas_of(rs) > 0:
                self._scale(deployment, rs, 0)
        if all((rs.get("status") or {}).get("replicas", 0) == 0 for rs in old):
            self._scale(deployment, new, workloads.replicas_of(deployment))

    # -- ReplicaSets ----------------------------------------------------------------
    def _create_replica_set(self, deployment: dict, old: list[dict]) -> dict | None:
        meta, spec = deployment["metadata"], deployment.get("spec") or {}
        template_hash = workloads.safe_hash(spec.get("template") or {})
        template = _with_hash(spec.get("template") or {}, template_hash)
        revision = 1 + max((int((rs["metadata"].get("annotations") or {}).get(REVISION, "0") or 0) for rs in old),
                           default=0)
        selector = spec.get("selector") or {}
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": f"{meta['name']}-{template_hash}", "namespace": meta.get("namespace", ""),
                           "labels": dict(template["metadata"]["labels"]),
                           "annotations": {REVISION: str(revision), DESIRED: str(workloads.replicas_of(deployment)),
                                           MAX_REPLICAS: str(workloads.replicas_of(deployment)
                                                             + max_surge(deployment))},
                           "ownerReferences": [workloads.owner_reference(deployment)]},
              "spec": {"replicas": 0, "minReadySeconds": spec.get("minReadySeconds", 0),
                       "selector": {**selector, "matchLabels": {**(selector.get("matchLabels") or {}),
                                                                HASH_LABEL: template_hash}},
                       "template": template}}
        try:
            created = self._store.create("ReplicaSet", rs)
        except ApiError as error:
            if error.code == 409:  # a set of that name exists but is not ours (a hash collision): leave it
                return None
            raise
        self._set_revision(deployment, str(revision))
        return created

    def _scale(self, deployment: dict, rs: dict, replicas: int) -> dict:
        before = workloads.replicas_of(rs)
        annotations = {DESIRED: str(workloads.replicas_of(deployment)),
                       MAX_REPLICAS: str(workloads.replicas_of(deployment) + max_surge(deployment))}

        def change(current: dict) -> bool:
            wanted = {**(current["metadata"].get("annotations") or {}), **annotations}
            if workloads.replicas_of(current) == replicas and wanted == current["metadata"].get("annotations"):
                return False
            current["metadata"]["annotations"] = wanted
            current["spec"]["replicas"] = replicas
            return True

        meta = rs["metadata"]
        updated = workloads.modify(self._store, "ReplicaSet", meta.get("namespace"), meta["name"], change) or rs
        if before != replicas:
            direction = "up" if replicas > before else "down"
            self._events.emit(deployment, "ScalingReplicaSet", COMPONENT,
                              f"Scaled {direction} replica set {meta['name']} from {before} to {replicas}")
        return updated

    def _set_revision(self, deployment: dict, revision: str) -> None:
        def change(current: dict) -> bool:
            annotations = current["metadata"].get("annotations") or {}
            if annotations.get(REVISION) == revision:
                return False
            current["metadata"]["annotations"] = {**annotations, REVISION: revision}
            return True

        meta = deployment["metadata"]
        workloads.modify(self._store, "Deployment", meta.get("namespace"), meta["name"], change)

    def _clean_up(self, deployment: dict, old: list[dict]) -> None:
        limit = (deployment.get("spec") or {}).get("revisionHistoryLimit", 10)
        idle = [rs for rs in old if workloads.replicas_of(rs) == 0 and (rs.get("status") or {}).get("replicas", 0) == 0]
        for rs in idle[:max(0, len(idle) - limit)]:
            workloads.quietly(lambda rs=rs: self._store.delete("ReplicaSet", rs["metadata"].get("namespace"),
                                                               rs["metadata"]["name"]))

    def _write_status(self, deployment: dict, new: dict | None, sets: list[dict]) -> None:
        status = deployment_status(deployment, new, sets, rfc3339(self._clock.now()))
        workloads.status_changed(self._store, "Deployment", deployment, status)


# -- pure helpers ---------------------------------------------------------------

def deployment_status(deployment: dict, new: dict | None, sets: list[dict], now: str) -> dict:
    """apps/v1 DeploymentStatus from its ReplicaSets; zero counts omitted, as Kubernetes does."""
    desired = workloads.replicas_of(deployment)
    available = sum(_available(rs) for rs in sets)
    actual = sum((rs.get("status") or {}).get("replicas", 0) for rs in sets)
    updated = (new.get("status") or {}).get("replicas", 0) if new else 0
    counts = {"replicas": actual, "updatedReplicas": updated,
              "readyReplicas": sum((rs.get("status") or {}).get("readyReplicas", 0) for rs in sets),
              "availableReplicas": available,
              "unavailableReplicas": max(0, sum(workloads.replicas_of(rs) for rs in sets) - available)}
    name = new["metadata"]["name"] if new else f"{deployment['metadata']['name']}"
    complete = updated == desired and actual == desired and available >= desired
    minimum = available >= desired - max_unavailable(deployment)
    previous = (deployment.get("status") or {}).get("conditions") or []
    conditions = [
        _condition(previous, "Available", minimum, now,
                   *(("MinimumReplicasAvailable", "Deployment has minimum availability.") if minimum
                     else ("MinimumReplicasUnavailable", "Deployment does not have minimum availability."))),
        _condition(previous, "Progressing", True, now,
                   *(("NewReplicaSetAvailable", f'ReplicaSet "{name}" has successfully progressed.') if complete
                     else ("ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.'))),
    ]
    return {"observedGeneration": deployment["metadata"].get("generation", 1),
            **{k: v for k, v in counts.items() if v}, "conditions": conditions}


def _condition(previous: list[dict], kind: str, status: bool, now: str, reason: str, message: str) -> dict:
    old = next((c for c in previous if c.get("type") == kind), {})
    text = "True" if status else "False"
    same_status = old.get("status") == text
    same = same_status and old.get("reason") == reason and old.get("message") == message
    return {"type": kind, "status": text, "lastUpdateTime": old["lastUpdateTime"] if same else now,
            "lastTransitionTime": old["lastTransitionTime"] if same_status else now,
            "reason": reason, "message": message}


def same_template(rs: dict, deployment: dict) -> bool:
    """Whether `rs` runs the Deployment's current template (its own hash label aside)."""
    template = ((rs.get("spec") or {}).get("template") or {})
    labels = {k: v for k, v in ((template.get("metadata") or {}).get("labels") or {}).items() if k != HASH_LABEL}
    ours = (deployment.get("spec") or {}).get("template") or {}
    theirs = {**template, "metadata": {**(template.get("metadata") or {}), "labels": labels}}
    if not labels:
        theirs["metadata"].pop("labels")
    if not theirs["metadata"]:
        theirs.pop("metadata")
    return theirs == ours


def _with_hash(template: dict, template_hash: str) -> dict:
    meta = dict(template.get("metadata") or {})
    meta["labels"] = {**(meta.get("labels") or {}), HASH_LABEL: template_hash}
    return {**template, "metadata": meta}


def max_surge(deployment: dict) -> int:
    return _rolling_parameters(deployment)[0]


def max_unavailable(deployment: dict) -> int:
    return _rolling_parameters(deployment)[1]


def _rolling_parameters(deployment: dict) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) resolved against the replicas: surge rounds up, unavailable down."""
    if _strategy(deployment) == "Recreate":
        return 0, 0
    desired = workloads.replicas_of(deployment)
    rolling = ((deployment.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    surge = _resolve(rolling.get("maxSurge", "25%"), desired, math.ceil)
    unavailable = _resolve(rolling.get("maxUnavailable", "25%"), desired, math.floor)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, desired)


def _resolve(value: int | str, total: int, rounding) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return int(rounding(total * int(value[:-1]) / 100))
    return int(value)


def _strategy(deployment: dict) -> str:
    return ((deployment.get("spec") or {}).get("strategy") or {}).get("type") or "RollingUpdate"


def _available(rs: dict) -> int:
    return (rs.get("status") or {}).get("availableReplicas", 0)


def _created(rs: dict) -> tuple:
    return rs["metadata"].get("creationTimestamp", ""), rs["metadata"]["name"]
