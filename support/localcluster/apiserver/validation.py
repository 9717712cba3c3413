"""`fieldValidation`: what a write does with fields the schema does not know.

`Strict` answers 400 naming them, `Warn` (the default since Kubernetes 1.27)
stores the object without them and says so in `Warning: 299` response headers,
`Ignore` drops them silently. Custom kinds learn their unknown fields from
pruning by the CRD's schema; built-in kinds (and every object's metadata) from
the official client's models, which carry each Kubernetes type's fields.
"""

from __future__ import annotations

import json

from kubernetes.client import models

from support.localcluster.apiserver.request import Request
from support.localcluster.apiserver.resources import Resource
from support.localcluster.errors import ApiError, bad_request

MODES = ("Ignore", "Strict", "Warn")
_MODELS = {"Pod": "V1Pod", "Service": "V1Service", "ConfigMap": "V1ConfigMap", "Namespace": "V1Namespace",
           "Event": "CoreV1Event", "Deployment": "V1Deployment", "ReplicaSet": "V1ReplicaSet",
           "StatefulSet": "V1StatefulSet", "CustomResourceDefinition": "V1CustomResourceDefinition"}
_SCALARS = ("str", "int", "float", "bool", "object", "datetime", "date", "bytes")


def mode(request: Request) -> str:
    chosen = request.query.get("fieldValidation") or "Warn"
    if chosen not in MODES:
        raise bad_request(f'fieldValidation: Unsupported value: "{chosen}": supported values: '
                          + ", ".join(f'"{m}"' for m in MODES))
    return chosen


def strip_unknown(resource: Resource, obj: dict, only: tuple[str, ...] | None = None) -> list[str]:
    """Take out (in place) the fields of a built-in object (of a custom object: of its metadata) its
    Kubernetes type lacks, as decoding into Go types drops them; their paths, for fieldValidation."""
    model = _MODELS.get(resource.kind) if not resource.crd_name else None
    if model is None:
        return _unknown("V1ObjectMeta", obj.get("metadata"), "metadata", strip=True) if only is None else []
    if only is None:
        return _unknown(model, obj, "", strip=True)
    return _unknown(model, {k: v for k, v in obj.items() if k in only}, "", strip=True)  # nested: stripped in obj


def judge(request: Request, resource: Resource, unknown: list[str]) -> list[tuple[str, str]]:
    """Raise for Strict, or the Warning headers for Warn."""
    chosen = mode(request)
    if not unknown or chosen == "Ignore":
        return []
    if chosen == "Strict":
        fields = ", ".join(f'unknown field "{path}"' for path in unknown)
        raise ApiError(400, "BadRequest", f'{resource.kind} in version "{resource.version}" cannot be handled as a '
                                          f"{resource.kind}: strict decoding error: {fields}")
    return [("Warning", "299 - " + json.dumps(f'unknown field "{path}"')) for path in unknown]


def _unknown(model_name: str, value: object, path: str, strip: bool = False) -> list[str]:
    model = getattr(models, model_name, None)
    if model is None or not isinstance(value, dict):
        return []
    types = {json_name: model.openapi_types[name] for name, json_name in model.attribute_map.items()}
    found = []
    for key in list(value):
        where = f"{path}.{key}" if path else key
        if key not in types:
            found.append(where)
            if strip:
                del value[key]
        else:
            found += _unknown_in(types[key], value[key], where, strip)
    return found


def _unknown_in(type_name: str, value: object, path: str, strip: bool = False) -> list[str]:
    """Types read `List[V1Container]`, `Dict[str, str]` (older clients: `list[...]`, `dict(str, ...)`)."""
    lowered = type_name.lower()
    if lowered.startswith("list[") and isinstance(value, list):
        inner = type_name[5:-1]
        return [p for i, item in enumerate(value) for p in _unknown_in(inner, item, f"{path}[{i}]", strip)]
    if lowered.startswith(("dict[", "dict(")) and isinstance(value, dict):
        inner = type_name[type_name.index(",") + 1:-1].strip()
        return [p for k, item in value.items() for p in _unknown_in(inner, item, f"{path}.{k}", strip)]
    if type_name in _SCALARS:
        return []
    return _unknown(type_name, value, path, strip)
