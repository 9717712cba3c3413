"""The deployment controller: a Deployment's pods, and its status.

Simplifications, on purpose: pods are owned directly by their Deployment (no
ReplicaSets), though their names and `pod-template-hash` label look like
Kubernetes'; a template change replaces all old pods at once (Recreate).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from functools import partial

from support.clock import rfc3339
from support.localcluster.access import ADDED, EventRecorder, TimerClock, WorkQueue
from support.localcluster.errors import ApiError
from support.localcluster.store import Store

HASH_LABEL = "pod-template-hash"
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' rand.SafeEncodeString alphabet


class DeploymentController:
    def __init__(self, store: Store, clock: TimerClock, queue: WorkQueue, events: EventRecorder,
                 node_name: str, seed: int = 0):
        self._store, self._clock, self._queue, self._events = store, clock, queue, events
        self._node_name = node_name
        self._random = random.Random(seed)
        self._order: dict[str, int] = {}  # pod uid -> the order we saw it created in (scale-down tie-break)
        self._orders = itertools.count()

    def start(self) -> None:
        self._store.subscribe(self._on_event)
        for pod in self._store.list("Pod"):
            self._order.setdefault(pod["metadata"]["uid"], next(self._orders))
        for deployment in self._store.list("Deployment"):
            meta = deployment["metadata"]
            self._queue.submit(partial(self._reconcile, meta.get("namespace", ""), meta["name"]))

    def stop(self) -> None:
        self._store.unsubscribe(self._on_event)

    def _on_event(self, event: str, kind: str, obj: dict) -> None:
        meta = obj.get("metadata", {})
        if kind == "Deployment":
            self._queue.submit(partial(self._reconcile, meta.get("namespace", ""), meta.get("name", "")))
        elif kind == "Pod":
            if event == ADDED:
                self._order.setdefault(meta.get("uid", ""), next(self._orders))
            owner = deployment_owner(obj)
            if owner is not None:
                self._queue.submit(partial(self._reconcile, meta.get("namespace", ""), owner))

    def _reconcile(self, namespace: str, name: str) -> None:
        deployment = self._store.get("Deployment", namespace, name)
        if deployment is None:
            return
        template_hash = template_hash_of(deployment)
        pods = self._owned_pods(namespace, deployment["metadata"]["uid"])
        current = [p for p in pods if p["metadata"].get("labels", {}).get(HASH_LABEL) == template_hash]
        for stale in (p for p in pods if p not in current):
            self._delete_pod(stale)
        if not self._terminating(deployment):
            self._scale(deployment, current, template_hash)
        self._write_status(namespace, name)

    def _scale(self, deployment: dict, current: list[dict], template_hash: str) -> None:
        desired, have = desired_replicas(deployment), len(current)
        if desired > have:
            for _ in range(desired - have):
                self._create_pod(deployment, template_hash)
        elif desired < have:
            for victim in sorted(current, key=self._scale_down_order)[:have - desired]:
                self._delete_pod(victim)
        if desired != have:
            direction = "up" if desired > have else "down"
            self._events.emit(deployment, "ScalingReplicaSet", "deployment-controller",
                              f"Scaled {direction} replica set {deployment['metadata']['name']}-{template_hash} "
                              f"from {have} to {desired}")

    def _scale_down_order(self, pod: dict) -> tuple:
        """Not-ready pods first, then the newest."""
        seq = self._order.get(pod["metadata"]["uid"], -1)
        return is_ready(pod), pod.get("status", {}).get("phase") == "Running", \
            _negated(pod["metadata"].get("creationTimestamp", "")), -seq

    def _terminating(self, deployment: dict) -> bool:
        namespace = self._store.get("Namespace", None, deployment["metadata"].get("namespace", "")) or {}
        return bool(deployment["metadata"].get("deletionTimestamp")) or \
            namespace.get("status", {}).get("phase") == "Terminating"

    def _create_pod(self, deployment: dict, template_hash: str) -> None:
        for _ in range(20):
            suffix = "".join(self._random.choice(SAFE_ALPHABET) for _ in range(5))
            pod = pod_from_template(deployment, template_hash, suffix, self._now(), self._node_name)
            try:
                self._store.create("Pod", pod)
                return
            except ApiError as error:
                if error.code != 409:
                    raise

    def _delete_pod(self, pod: dict) -> None:
        try:
            self._store.delete("Pod", pod["metadata"].get("namespace"), pod["metadata"]["name"])
        except ApiError as error:
            if error.code != 404:
                raise

    def _owned_pods(self, namespace: str, uid: str | None) -> list[dict]:
        return [p for p in self._store.list("Pod", namespace)
                if any(ref.get("uid") == uid and ref.get("kind") == "Deployment"
                       for ref in p["metadata"].get("ownerReferences") or [])]

    def _write_status(self, namespace: str, name: str) -> None:
        deployment = self._store.get("Deployment", namespace, name)
        if deployment is None:
            return
        pods = self._owned_pods(namespace, deployment["metadata"]["uid"])
        status = deployment_status(deployment, pods, template_hash_of(deployment), self._now())
        if status == deployment.get("status"):
            return
        deployment["status"] = status
        deployment["metadata"].pop("resourceVersion", None)  # we are the only writer of Deployment status
        try:
            self._store.update_status("Deployment", deployment)
        except ApiError as error:
            if error.code != 404:
                raise

    def _now(self) -> str:
        return rfc3339(self._clock.now())


# -- pure helpers ---------------------------------------------------------------

def deployment_status(deployment: dict, pods: list[dict], template_hash: str, now: str) -> dict:
    """apps/v1 DeploymentStatus for these owned pods; zero counts omitted, as Kubernetes does."""
    desired = desired_replicas(deployment)
    ready = sum(1 for p in pods if is_ready(p))
    updated = sum(1 for p in pods if p["metadata"].get("labels", {}).get(HASH_LABEL) == template_hash)
    name = f"{deployment['metadata']['name']}-{template_hash}"
    complete = updated == len(pods) == desired and ready >= desired
    previous = (deployment.get("status") or {}).get("conditions") or []
    conditions = [
        _deployment_condition(previous, "Available", ready >= desired, now,
                              *(("MinimumReplicasAvailable", "Deployment has minimum availability.") if ready >= desired
                                else ("MinimumReplicasUnavailable", "Deployment does not have minimum availability."))),
        _deployment_condition(previous, "Progressing", True, now,
                              *(("NewReplicaSetAvailable", f'ReplicaSet "{name}" has successfully progressed.')
                                if complete else ("ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.'))),
    ]
    counts = {"replicas": len(pods), "updatedReplicas": updated, "readyReplicas": ready,
              "availableReplicas": ready, "unavailableReplicas": max(0, desired - ready)}
    return {"observedGeneration": deployment["metadata"].get("generation", 1),
            **{k: v for k, v in counts.items() if v}, "conditions": conditions}


def _deployment_condition(previous: list[dict], kind: str, status: bool, now: str, reason: str, message: str) -> dict:
    old = next((c for c in previous if c.get("type") == kind), {})
    text = "True" if status else "False"
    same_status = old.get("status") == text
    same = same_status and old.get("reason") == reason and old.get("message") == message
    return {"type": kind, "status": text, "lastUpdateTime": old["lastUpdateTime"] if same else now,
            "lastTransitionTime": old["lastTransitionTime"] if same_status else now,
            "reason": reason, "message": message}


def pod_from_template(deployment: dict, template_hash: str, suffix: str, now: str, node_name: str) -> dict:
    meta = deployment["metadata"]
    template = deployment.get("spec", {}).get("template") or {}
    template_meta = template.get("metadata") or {}
    spec = json.loads(json.dumps(template.get("spec") or {}))
    spec.setdefault("nodeName", node_name)
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": f"{meta['name']}-{template_hash}-{suffix}", "generateName": f"{meta['name']}-{template_hash}-",
            "namespace": meta.get("namespace", ""),
            "labels": {**(template_meta.get("labels") or {}), HASH_LABEL: template_hash},
            **({"annotations": template_meta["annotations"]} if template_meta.get("annotations") else {}),
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"],
                                 "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}]},
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": "BestEffort",
                   "conditions": [{"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                                   "lastTransitionTime": now}]},
    }


def template_hash_of(deployment: dict) -> str:
    template = json.dumps(deployment.get("spec", {}).get("template") or {}, sort_keys=True)
    digest = int.from_bytes(hashlib.sha256(template.encode()).digest()[:8], "big")
    chars = []
    for _ in range(10):
        digest, index = divmod(digest, len(SAFE_ALPHABET))
        chars.append(SAFE_ALPHABET[index])
    return "".join(chars)


def desired_replicas(deployment: dict) -> int:
    replicas = deployment.get("spec", {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def deployment_owner(pod: dict) -> str | None:
    for ref in pod.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("kind") == "Deployment" and ref.get("controller"):
            return ref.get("name")
    return None


def _negated(timestamp: str) -> tuple:
    """Sort key that puts later RFC 3339 timestamps first."""
    return tuple(-ord(ch) for ch in timestamp)


def is_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions") or [])
