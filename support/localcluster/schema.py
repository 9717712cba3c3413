"""Structural-schema handling for custom resources, and cheap built-in defaults.

`admit(schema, obj, kind, name)` does what the real API server does to a custom
object on every write, in the same order: drop nulls, prune unknown fields,
apply defaults, then validate (type, required, enum, minimum/maximum,
minItems/maxItems, pattern, int-or-string). Violations become one 422 Invalid
whose message names each field, e.g.
`BudAIScaler.scaler.bud.studio "x" is invalid: spec.maxReplicas: Required value`.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from support.localcluster.errors import ApiError

_ROOT_PASSTHROUGH = ("apiVersion", "kind", "metadata")


def admit(schema: dict, obj: dict, kind: str, name: str, *, only: tuple[str, ...] | None = None,
          pruned: list[str] | None = None) -> dict:
    """`obj` pruned and defaulted; raises 422 Invalid on violations.

    The caller hands `obj` over: the result shares what pruning and defaulting leave as they
    are (a copy per write cost more than the rest of a status write together).
    `only` restricts the work to some top-level fields (e.g. ("status",) for /status writes);
    `pruned` collects the paths of the unknown fields pruning dropped (for fieldValidation).
    """
    result = {k: v for k, v in obj.items() if k in _ROOT_PASSTHROUGH}
    errors: list[str] = []
    dropped = pruned if pruned is not None else []
    props = schema.get("properties", {})
    for key, value in obj.items():
        if key in _ROOT_PASSTHROUGH or value is None:
            continue
        if only is not None and key not in only:
            result[key] = value
            continue
        if key not in props:
            dropped.append(key)
            continue
        result[key] = _walk(props[key], value, key, errors, dropped)
    _apply_default_props(props, result, only)
    for key in schema.get("required", []):
        if key not in result:
            errors.append(f"{key}: Required value")
    if errors:
        detail = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
        raise ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {detail}')
    return result


def _apply_default_props(props: dict, result: dict, only: tuple[str, ...] | None) -> None:
    for key, sub in props.items():
        if key in _ROOT_PASSTHROUGH or (only is not None and key not in only):
            continue
        if key not in result and "default" in sub:
            result[key] = copy.deepcopy(sub["default"])


def _walk(schema: dict, value: Any, path: str, errors: list[str], pruned: list[str]) -> Any:
    """Prune + default + validate one value; returns the cleaned value."""
    if not _type_ok(schema, value):
        errors.append(_type_error(schema, value, path))
        return value
    if isinstance(value, dict):
        value = _walk_object(schema, value, path, errors, pruned)
    elif isinstance(value, list):
        value = _walk_array(schema, value, path, errors, pruned)
    _check_scalar(schema, value, path, errors)
    return value


def _walk_object(schema: dict, value: dict, path: str, errors: list[str], pruned: list[str]) -> dict:
    props = schema.get("properties")
    extra = schema.get("additionalProperties")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
    result = {}
    for key, item in value.items():
        if item is None:
            continue  # nulls of non-nullable fields are pruned, then defaulted
        if props is not None and key in props:
            result[key] = _walk(props[key], item, f"{path}.{key}", errors, pruned)
        elif isinstance(extra, dict):
            result[key] = _walk(extra, item, f"{path}.{key}", errors, pruned)
        elif preserve or (props is None and extra is None) or extra is True:
            result[key] = item
        else:
            pruned.append(f"{path}.{key}")
    for key, sub in (props or {}).items():
        if key not in result and "default" in sub:
            result[key] = _walk(sub, copy.deepcopy(sub["default"]), f"{path}.{key}", errors, [])
    for key in schema.get("required", []):
        if key not in result:
            errors.append(f"{path}.{key}: Required value")
    return result


def _walk_array(schema: dict, value: list, path: str, errors: list[str], pruned: list[str]) -> list:
    items = schema.get("items")
    if isinstance(items, dict):
        value = [_walk(items, item, f"{path}[{i}]", errors, pruned) for i, item in enumerate(value)]
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(f"{path}: Invalid value: {len(value)}: {path} in body should have at least "
                      f"{schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{path}: Too many: {len(value)}: must have at most {schema['maxItems']} items")
    return value


def _check_scalar(schema: dict, value: Any, path: str, errors: list[str]) -> None:
    if "enum" in schema and value not in schema["enum"]:
        supported = ", ".join(json.dumps(e) for e in schema["enum"])
        errors.append(f"{path}: Unsupported value: {json.dumps(value)}: supported values: {supported}")
    if _is_number(value):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: Invalid value: {value}: {path} in body should be greater than or equal to "
                          f"{schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: Invalid value: {value}: {path} in body should be less than or equal to "
                          f"{schema['maximum']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f'{path}: Invalid value: "{value}": {path} in body should match \'{schema["pattern"]}\'')


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPE_CHECKS = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: _is_number(v) and float(v).is_integer(),
    "number": _is_number,
}


def _type_ok(schema: dict, value: Any) -> bool:
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, str) or (_is_number(value) and float(value).is_integer())
    check = _TYPE_CHECKS.get(schema.get("type", ""))
    return check is None or check(value)


def _type_error(schema: dict, value: Any, path: str) -> str:
    expected = "integer or string" if schema.get("x-kubernetes-int-or-string") else schema.get("type")
    shown = json.dumps(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return f'{path}: Invalid value: "{_json_type(value)}": {path} in body must be of type {expected}: {shown}'


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "integer" if float(value).is_integer() else "number"
    return {str: "string", dict: "object", list: "array"}.get(type(value), "null")


# -- built-in kinds: the cheap defaults a real API server applies --------------------

def default_builtin(kind: str, obj: dict) -> dict:
    defaulter = _BUILTIN_DEFAULTS.get(kind)
    if defaulter is not None:
        defaulter(obj)
    return obj


def _default_deployment(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    spec.setdefault("strategy", {"type": "RollingUpdate",
                                 "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    _default_pod_spec(spec.get("template", {}).setdefault("spec", {}))


def _default_replica_set(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    _default_pod_spec(spec.get("template", {}).setdefault("spec", {}))


def _default_stateful_set(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    _default_pod_spec(spec.get("template", {}).setdefault("spec", {}))


def _default_pod(obj: dict) -> None:
    _default_pod_spec(obj.setdefault("spec", {}))
    obj.setdefault("status", {}).setdefault("phase", "Pending")


def _default_pod_spec(spec: dict) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    for container in spec.get("containers", []):
        container.setdefault("imagePullPolicy", "IfNotPresent")
        container.setdefault("terminationMessagePolicy", "File")
        for port in container.get("ports", []):
            port.setdefault("protocol", "TCP")


def _default_service(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports", []):
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))


def _default_namespace(obj: dict) -> None:
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj.setdefault("status", {}).setdefault("phase", "Active")
    labels = obj.setdefault("metadata", {}).setdefault("labels", {})
    labels.setdefault("kubernetes.io/metadata.name", obj["metadata"].get("name", ""))


_BUILTIN_DEFAULTS = {"Deployment": _default_deployment, "ReplicaSet": _default_replica_set,
                     "StatefulSet": _default_stateful_set, "Pod": _default_pod,
                     "Service": _default_service, "Namespace": _default_namespace}


def prune(schema: dict, obj: dict) -> tuple[dict, list[str]]:
    """`obj` without the fields `schema` does not know (no defaults, no validation), and their paths."""
    pruned: list[str] = []
    props = schema.get("properties", {})
    result = {}
    for key, value in obj.items():
        if key in _ROOT_PASSTHROUGH:
            result[key] = value
        elif key in props:
            result[key] = _prune_value(props[key], value, key, pruned)
        else:
            pruned.append(key)
    return result, pruned


def _prune_value(schema: dict, value: Any, path: str, pruned: list[str]) -> Any:
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_prune_value(schema["items"], item, f"{path}[{i}]", pruned) for i, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    props, extra = schema.get("properties"), schema.get("additionalProperties")
    keep_all = schema.get("x-kubernetes-preserve-unknown-fields") or (props is None and extra is None) or extra is True
    result = {}
    for key, item in value.items():
        if props is not None and key in props:
            result[key] = _prune_value(props[key], item, f"{path}.{key}", pruned)
        elif isinstance(extra, dict):
            result[key] = _prune_value(extra, item, f"{path}.{key}", pruned)
        elif keep_all:
            result[key] = item
        else:
            pruned.append(f"{path}.{key}")
    return result
