"""What a real API server's typed decoding rejects before anything else looks at an object.

kube-apiserver decodes a request body into Go structs: a field of the wrong JSON
type (a number where ObjectMeta wants a string, a list where a Deployment wants
its spec) is a 400 BadRequest, `... cannot be handled as a Deployment: json:
cannot unmarshal number into Go struct field ...`, before defaulting or
validation run. `null` is never a type error (the field keeps its zero value),
and unknown fields are not either. Custom resources are decoded loosely (their
schema validates them, as 422s), except their ObjectMeta.

Shapes list the fields the embedded cluster reads; the rest of an object passes.
"""

from __future__ import annotations

import json
from typing import Any

from support.localcluster.errors import ApiError

Shape = Any  # "string" | "int32" | "int64" | "bool" | "int-or-string" | "any" | ("map"|"list", Shape) | dict

INT32 = (-2**31, 2**31 - 1)
INT64 = (-2**63, 2**63 - 1)

OWNER_REFERENCE = {"apiVersion": "string", "kind": "string", "name": "string", "uid": "string",
                   "controller": "bool", "blockOwnerDeletion": "bool"}
OBJECT_META = {"name": "string", "generateName": "string", "namespace": "string", "uid": "string",
               "resourceVersion": "string", "generation": "int64", "creationTimestamp": "string",
               "deletionTimestamp": "string", "deletionGracePeriodSeconds": "int64",
               "labels": ("map", "string"), "annotations": ("map", "string"),
               "ownerReferences": ("list", OWNER_REFERENCE), "finalizers": ("list", "string"),
               "managedFields": ("list", "any")}
PROBE = {"httpGet": {"path": "string", "port": "int-or-string"}, "initialDelaySeconds": "int32",
         "periodSeconds": "int32", "failureThreshold": "int32"}
CONTAINER = {"name": "string", "image": "string", "command": ("list", "string"), "args": ("list", "string"),
             "env": ("list", {"name": "string", "value": "string", "valueFrom": {}}),
             "ports": ("list", {"name": "string", "containerPort": "int32", "protocol": "string"}),
             "imagePullPolicy": "string", "readinessProbe": PROBE, "livenessProbe": PROBE,
             "volumeMounts": ("list", {"name": "string", "mountPath": "string"})}
POD_SPEC = {"containers": ("list", CONTAINER), "initContainers": ("list", CONTAINER),
            "volumes": ("list", {"name": "string", "configMap": {"name": "string"}}),
            "restartPolicy": "string", "dnsPolicy": "string", "terminationGracePeriodSeconds": "int64",
            "nodeName": "string", "serviceAccountName": "string"}
LABEL_SELECTOR = {"matchLabels": ("map", "string"), "matchExpressions": ("list", {})}
WORKLOAD_SPEC = {"replicas": "int32", "selector": LABEL_SELECTOR, "minReadySeconds": "int32",
                 "template": {"metadata": OBJECT_META, "spec": POD_SPEC}}
CONDITIONS = ("list", {"type": "string", "status": "string", "reason": "string", "message": "string"})

KINDS: dict[str, dict] = {
    "ConfigMap": {"data": ("map", "string"), "binaryData": ("map", "string"), "immutable": "bool"},
    "Namespace": {"spec": {"finalizers": ("list", "string")}, "status": {"phase": "string"}},
    "Pod": {"spec": POD_SPEC, "status": {"phase": "string", "podIP": "string", "conditions": CONDITIONS}},
    "Service": {"spec": {"selector": ("map", "string"), "type": "string", "clusterIP": "string",
                         "ports": ("list", {"name": "string", "port": "int32", "targetPort": "int-or-string",
                                            "protocol": "string"})}},
    "Deployment": {"spec": {**WORKLOAD_SPEC, "revisionHistoryLimit": "int32", "progressDeadlineSeconds": "int32",
                            "paused": "bool", "strategy": {"type": "string"}},
                   "status": {"replicas": "int32", "readyReplicas": "int32", "conditions": CONDITIONS}},
    "ReplicaSet": {"spec": WORKLOAD_SPEC, "status": {"replicas": "int32", "readyReplicas": "int32"}},
    "StatefulSet": {"spec": {**WORKLOAD_SPEC, "serviceName": "string", "podManagementPolicy": "string",
                             "revisionHistoryLimit": "int32",
                             "updateStrategy": {"type": "string", "rollingUpdate": {"partition": "int32"}}},
                    "status": {"replicas": "int32", "readyReplicas": "int32"}},
    "Event": {"involvedObject": {"kind": "string", "name": "string", "namespace": "string"},
              "reason": "string", "message": "string", "type": "string", "count": "int32"},
}


def decode(kind: str, api_version: str, obj: dict, builtin: bool) -> dict:
    """`obj` as Go would decode and re-encode it: nulls of typed fields dropped; 400 BadRequest when a field
    does not fit its Go type (for custom kinds only ObjectMeta is typed)."""
    shape = {"metadata": OBJECT_META, **(KINDS.get(kind, {}) if builtin else {})}
    problem = _mismatch(shape, obj, kind)
    if problem is not None:
        path, value, wanted = problem
        version = api_version.rsplit("/", 1)[-1]
        raise ApiError(400, "BadRequest", f'{kind} in version "{version}" cannot be handled as a {kind}: json: '
                                          f"cannot unmarshal {_json_kind(value)} into Go struct field {path} "
                                          f"of type {wanted}")
    return _without_nulls(shape, obj)


def _without_nulls(shape: Shape, value: Any) -> Any:
    if isinstance(shape, dict) and isinstance(value, dict):
        return {k: _without_nulls(shape.get(k, "any"), v) for k, v in value.items()
                if not (v is None and k in shape)}
    if isinstance(shape, tuple) and isinstance(value, (dict, list)):
        item = shape[1]
        if isinstance(value, dict):
            return {k: _without_nulls(item, v) for k, v in value.items()}
        return [{} if v is None and isinstance(item, dict) else _without_nulls(item, v) for v in value]  # Go: a zero struct
    return value


def _mismatch(shape: Shape, value: Any, path: str) -> tuple[str, Any, str] | None:
    """(path, value, wanted type) of the first value that does not fit `shape`, or None."""
    if value is None or shape == "any":
        return None
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return path, value, "struct"
        for key, sub in shape.items():
            found = _mismatch(sub, value.get(key), f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(shape, tuple):
        container, item = shape
        if container == "map":
            if not isinstance(value, dict):
                return path, value, "map"
            items = value.items()
        else:
            if not isinstance(value, list):
                return path, value, "slice"
            items = enumerate(value)
        for key, sub_value in items:
            found = _mismatch(item, sub_value, f"{path}[{key}]")
            if found is not None:
                return found
        return None
    return None if _scalar_fits(shape, value) else (path, value, shape)


def _scalar_fits(shape: str, value: Any) -> bool:
    if shape == "string":
        return isinstance(value, str)
    if shape == "bool":
        return isinstance(value, bool)
    if shape in ("int32", "int64"):
        low, high = INT32 if shape == "int32" else INT64
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if shape == "int-or-string":
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)
                                          and INT32[0] <= value <= INT32[1])
    raise ValueError(f"unknown shape {shape!r}")


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return f"number {json.dumps(value)}"
    return {str: "string", dict: "object", list: "array"}.get(type(value), "value")
