"""What every write goes through before the store: built-in defaults and validation, the CRD's
structural schema (prune, default, validate), and the namespace lifecycle (no new content in a
namespace that is missing or terminating)."""

from __future__ import annotations

import json

from support.localcluster import schema
from support.localcluster.apiserver import resources, validation
from support.localcluster.apiserver.fields import BuiltinShape, CrdShape, Shape
from support.localcluster.apiserver.resources import Resource
from support.localcluster.errors import ApiError
from support.localcluster.store import Store


def admit(store: Store, resource: Resource, obj: dict, only: tuple[str, ...] | None = None,
          unknown: list[str] | None = None) -> dict:
    """The object as it will be stored, or 422 Invalid. `only` limits the work to some top-level
    fields (("status",) for /status writes); `unknown` collects the fields dropped as unknown."""
    name = obj["metadata"].get("name", "")
    dropped = validation.strip_unknown(resource, obj, only)
    if resource.crd_name:
        version = resources.crd_version(store, resource)
        openapi = (version.get("schema") or {}).get("openAPIV3Schema")
        if openapi:
            obj = schema.admit(openapi, obj, resource.qualified_kind, name, only=only, pruned=dropped)
    elif only is None:
        schema.default_builtin(resource.kind, obj)
        _validate_builtin(resource, obj)
    if unknown is not None:
        unknown += dropped
    return obj


def shape_of(store: Store, resource: Resource) -> Shape:
    """How managedFields key the lists of this resource's objects."""
    if resource.crd_name:
        openapi = (resources.crd_version(store, resource).get("schema") or {}).get("openAPIV3Schema")
        cached = _CRD_SHAPES.get(id(openapi))
        if cached is None or cached[0] is not openapi:
            if len(_CRD_SHAPES) > 64:  # CRDs replaced (or clusters come and gone) many times
                _CRD_SHAPES.clear()
            cached = _CRD_SHAPES[id(openapi)] = (openapi, CrdShape(openapi))
        return cached[1]
    return BuiltinShape()


# openAPIV3Schema (by identity: the served CRDs are read again only when one changes) -> its shape,
# which keeps the child shapes it has handed out
_CRD_SHAPES: dict[int, tuple[dict | None, CrdShape]] = {}


WORKLOAD_KINDS = ("Deployment", "ReplicaSet", "StatefulSet")


def _validate_builtin(resource: Resource, obj: dict) -> None:
    name = obj["metadata"].get("name", "")
    kind = f"{resource.kind}.{resource.group}" if resource.group else resource.kind
    replicas = obj.get("spec", {}).get("replicas") if resource.kind in WORKLOAD_KINDS else 0
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise ApiError(422, "Invalid", f'{kind} "{name}" is invalid: spec.replicas: Invalid value: '
                                       f"{json.dumps(replicas)}: must be greater than or equal to 0")
    if resource.kind in WORKLOAD_KINDS:
        _validate_selector(kind, name, obj.get("spec") or {})
    pod_spec, path = _pod_spec(resource.kind, obj)
    if pod_spec is not None:
        for index, container in enumerate(pod_spec.get("containers") or []):
            for field in ("name", "image"):
                if not container.get(field):
                    raise ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {path}.containers[{index}].{field}: '
                                                   "Required value")


def _validate_selector(kind: str, name: str, spec: dict) -> None:
    """A workload's selector is required and must select its own template's pods."""
    selector = spec.get("selector") or {}
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        raise ApiError(422, "Invalid", f'{kind} "{name}" is invalid: spec.selector: Required value')
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items()):
        shown = "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"
        raise ApiError(422, "Invalid", f'{kind} "{name}" is invalid: spec.template.metadata.labels: Invalid value: '
                                       f"{shown}: `selector` does not match template `labels`")


def _pod_spec(kind: str, obj: dict) -> tuple[dict | None, str]:
    """The pod spec a Pod or workload carries, and its path for messages."""
    if kind == "Pod":
        return obj.get("spec") or {}, "spec"
    if kind in WORKLOAD_KINDS:
        return ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}, "spec.template.spec"
    return None, ""


def require_namespace(store: Store, namespace: str) -> None:
    """NamespaceLifecycle: content goes only into a namespace that exists and is not terminating."""
    found = store.peek("Namespace", None, namespace)
    if found is None:
        raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')
    if found.get("status", {}).get("phase") == "Terminating":
        raise ApiError(403, "Forbidden", f"unable to create new content in namespace {namespace} "
                                         "because it is being terminated")
