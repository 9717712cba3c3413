"""What the workload controllers share: pods from templates, ownership, readiness, hashing."""

from __future__ import annotations

import hashlib
import json
from typing import Callable

from support.localcluster.errors import ApiError
from support.localcluster.store import Store

SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' rand.SafeEncodeString alphabet
CONFLICT_RETRIES = 20


def owner_reference(owner: dict) -> dict:
    """The controller reference a workload puts on what it creates."""
    return {"apiVersion": owner.get("apiVersion", ""), "kind": owner.get("kind", ""),
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}


def controller_uid(obj: dict) -> str | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def controller_of(obj: dict, kind: str) -> str | None:
    """The name of `obj`'s controller when it is a `kind`."""
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == kind:
            return ref.get("name")
    return None


def owned(store: Store, kind: str, namespace: str, owner_uid: str) -> list[dict]:
    """The `kind` objects in `namespace` whose controller is `owner_uid`."""
    keys = [k for k in store.dependents(owner_uid) if k.kind == kind and k.namespace == namespace]
    found = [store.get(k.kind, k.namespace, k.name) for k in keys]
    return [o for o in found if o is not None and controller_uid(o) == owner_uid]


def pod_from_template(owner: dict, template: dict, name: str, labels: dict, node_name: str,
                      extra_spec: dict | None = None) -> dict:
    template_meta = template.get("metadata") or {}
    spec = json.loads(json.dumps(template.get("spec") or {}))
    spec.setdefault("nodeName", node_name)
    spec.update(extra_spec or {})
    meta = {"name": name, "namespace": owner["metadata"].get("namespace", ""),
            "labels": {**(template_meta.get("labels") or {}), **labels},
            "ownerReferences": [owner_reference(owner)]}
    if template_meta.get("annotations"):
        meta["annotations"] = dict(template_meta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def safe_hash(value: object, length: int = 10) -> str:
    """A stable short hash in Kubernetes' safe alphabet (what pod-template-hash looks like)."""
    digest = int.from_bytes(hashlib.sha256(json.dumps(value, sort_keys=True).encode()).digest()[:8], "big")
    chars = []
    for _ in range(length):
        digest, index = divmod(digest, len(SAFE_ALPHABET))
        chars.append(SAFE_ALPHABET[index])
    return "".join(chars)


def replicas_of(obj: dict) -> int:
    replicas = (obj.get("spec") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def is_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def is_running_and_ready(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_ready(pod)


def is_active(pod: dict) -> bool:
    """Counted by its controller: not being deleted and not finished."""
    return not pod["metadata"].get("deletionTimestamp") and \
        (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def terminating_namespace(store: Store, namespace: str) -> bool:
    found = store.peek("Namespace", None, namespace) or {}
    return bool(found.get("metadata", {}).get("deletionTimestamp")) or \
        (found.get("status") or {}).get("phase") == "Terminating"


def quietly(action: Callable[[], object], codes: tuple[int, ...] = (404,)) -> None:
    """Run a store write; someone else got there first (404) is no error."""
    try:
        action()
    except ApiError as error:
        if error.code not in codes:
            raise


def modify(store: Store, kind: str, namespace: str | None, name: str, change: Callable[[dict], bool]) -> dict | None:
    """Read, `change` in place (False: nothing to do) and write back under the read's resourceVersion,
    again on a conflict: a controller's write never undoes someone else's. None when the object is gone."""
    for _ in range(CONFLICT_RETRIES):
        obj = store.get(kind, namespace, name)
        if obj is None or not change(obj):
            return obj
        try:
            return store.update(kind, obj)
        except ApiError as error:
            if error.code == 404:
                return None
            if error.code != 409:
                raise
    raise RuntimeError(f"{kind} {namespace}/{name} kept changing under a controller's write")


def status_changed(store: Store, kind: str, obj: dict, status: dict) -> None:
    """Write `status` when it differs (the controller is its only writer: no resourceVersion precondition).
    `status` is handed over to the store: the caller built it for this write and keeps no hold of it."""
    if status == obj.get("status"):
        return
    meta = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    quietly(lambda: store.update_status(kind, {**obj, "metadata": meta, "status": status}, take=True))
