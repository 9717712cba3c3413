"""Field sets as server-side apply tracks them (structured-merge-diff's fieldpath.Set).

A path is a tuple of elements: `("f", name)` a field, `("k", keys)` an item of a
list keyed by merge keys (keys: JSON of the key fields), `("v", value)` an item
of a set (value: its JSON). An object's field set holds its leaves (scalars,
atomic lists and maps, empty maps) and the items of keyed lists and sets;
`fields_v1` writes a set as managedFields' FieldsV1 (`{"f:spec": {"f:replicas": {}}}`,
`"."` marking an item that has children of its own).

Which lists are keyed by what comes from the `Shape` of the object: the CRD's
schema (`x-kubernetes-list-type`, `-list-map-keys`, `-map-type`; lists are atomic
unless they say otherwise) or, for built-in kinds, the merge keys Kubernetes
declares for the fields the embedded cluster serves.
"""

from __future__ import annotations

import json
from typing import Iterable, Protocol

Element = tuple[str, str]
Path = tuple[Element, ...]
MISSING = object()

IGNORED_META = ("name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink", "generateName")
KEY_DEFAULTS = {"protocol": "TCP"}  # a key field the schema defaults, absent from a manifest


class Shape(Protocol):
    def child(self, name: str) -> "Shape": ...

    def item(self) -> "Shape": ...

    def list_type(self) -> tuple[str, tuple[str, ...]]: ...  # ("map", keys) | ("set", ()) | ("atomic", ())

    def atomic(self) -> bool: ...  # a map or struct set as a whole


class CrdShape:
    """The shape a CRD's openAPIV3Schema gives."""

    def __init__(self, schema: dict | None):
        self._schema = schema or {}
        self._children: dict[str, CrdShape] = {}  # a write walks the same few fields again and again

    def child(self, name: str) -> "CrdShape":
        found = self._children.get(name)
        if found is None:
            props = self._schema.get("properties") or {}
            extra = self._schema.get("additionalProperties")
            found = self._children[name] = CrdShape(props.get(name) or (extra if isinstance(extra, dict) else {}))
        return found

    def item(self) -> "CrdShape":
        return CrdShape(self._schema.get("items") or {})

    def list_type(self) -> tuple[str, tuple[str, ...]]:
        kind = self._schema.get("x-kubernetes-list-type", "atomic")
        return kind, tuple(self._schema.get("x-kubernetes-list-map-keys") or ()) if kind == "map" else ()

    def atomic(self) -> bool:
        return self._schema.get("x-kubernetes-map-type") == "atomic"


_KEYED = {"containers": ("name",), "initContainers": ("name",), "ephemeralContainers": ("name",),
          "env": ("name",), "volumes": ("name",), "volumeMounts": ("mountPath",), "volumeDevices": ("devicePath",),
          "imagePullSecrets": ("name",), "conditions": ("type",), "ownerReferences": ("uid",),
          "hostAliases": ("ip",), "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable")}
_ATOMIC_MAPS = ("selector", "matchLabels")


class BuiltinShape:
    """The merge keys Kubernetes declares on the built-in fields served here (other lists are atomic)."""

    def __init__(self, names: tuple[str, ...] = ()):
        self._names = names

    def child(self, name: str) -> "BuiltinShape":
        return BuiltinShape(self._names + (name,))

    def item(self) -> "BuiltinShape":
        return BuiltinShape(self._names + ("[]",))

    def list_type(self) -> tuple[str, tuple[str, ...]]:
        name = self._names[-1] if self._names else ""
        if name == "finalizers":
            return "set", ()
        if name == "ports":
            in_container = any(n in ("containers", "initContainers", "ephemeralContainers") for n in self._names)
            return "map", ("containerPort", "protocol") if in_container else ("port", "protocol")
        return ("map", _KEYED[name]) if name in _KEYED else ("atomic", ())

    def atomic(self) -> bool:
        return bool(self._names) and self._names[-1] in _ATOMIC_MAPS


def key_of(item: dict, keys: tuple[str, ...]) -> str:
    return json.dumps({k: item.get(k, KEY_DEFAULTS.get(k)) for k in keys}, separators=(",", ":"))


def field_set(obj: dict, shape: Shape, status: bool = False) -> set[Path]:
    """The paths an object sets (its metadata's system fields and, unless `status`, its status aside;
    with `status`, only its status)."""
    found: set[Path] = set()
    for name, value in obj.items():
        if name in ("apiVersion", "kind") or (name == "status") != status:
            continue
        if name == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in IGNORED_META}
            if not value:
                continue
        _walk(value, shape.child(name), (("f", name),), found)
    return found


def _walk(value: object, shape: Shape, path: Path, found: set[Path]) -> None:
    if isinstance(value, dict) and value and not shape.atomic():
        for name, child in value.items():
            _walk(child, shape.child(name), path + (("f", name),), found)
        return
    if isinstance(value, list) and value:
        kind, keys = shape.list_type()
        if kind == "map" and all(isinstance(item, dict) for item in value):
            for item in value:
                item_path = path + (("k", key_of(item, keys)),)
                found.add(item_path)
                _walk(item, shape.item(), item_path, found)
            return
        if kind == "set":
            found.update(path + (("v", json.dumps(item, separators=(",", ":"))),) for item in value)
            return
    found.add(path)


def value_at(obj: object, path: Path, shape: Shape) -> object:
    """What `obj` holds at `path` (MISSING when nothing)."""
    current = obj
    for kind, name in path:
        if kind == "f":
            if not isinstance(current, dict) or name not in current:
                return MISSING
            current, shape = current[name], shape.child(name)
        elif kind == "k":
            keys = shape.list_type()[1]
            match = [i for i in current or [] if isinstance(i, dict) and key_of(i, keys) == name] \
                if isinstance(current, list) else []
            if not match:
                return MISSING
            current, shape = match[0], shape.item()
        else:
            wanted = json.loads(name)
            return wanted if isinstance(current, list) and wanted in current else MISSING
    return current


def remove_at(obj: dict, path: Path, shape: Shape) -> None:
    """Take what `path` names out of `obj` (in place); a parent left empty stays, as an empty value."""
    parent, parent_shape = value_at(obj, path[:-1], shape), _shape_at(path[:-1], shape)
    kind, name = path[-1]
    if kind == "f" and isinstance(parent, dict):
        parent.pop(name, None)
    elif kind == "k" and isinstance(parent, list):
        keys = parent_shape.list_type()[1]
        parent[:] = [i for i in parent if not (isinstance(i, dict) and key_of(i, keys) == name)]
    elif kind == "v" and isinstance(parent, list):
        wanted = json.loads(name)
        parent[:] = [i for i in parent if i != wanted]


def _shape_at(path: Path, shape: Shape) -> Shape:
    for kind, name in path:
        shape = shape.child(name) if kind == "f" else shape.item()
    return shape


def path_string(path: Path) -> str:
    """As kube-apiserver prints a field path: `.spec.template.spec.containers[name="app"].image`."""
    text = ""
    for kind, name in path:
        if kind == "f":
            text += f".{name}"
        elif kind == "k":
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(name).items()) + "]"
        else:
            text += f"[={name}]"
    return text


# -- FieldsV1 -----------------------------------------------------------------------------------

def fields_v1(paths: Iterable[Path]) -> dict:
    tree: dict = {}
    members = set(paths)
    for path in sorted(members):
        node = tree
        for kind, name in path:
            node = node.setdefault(f"{kind}:{name}", {})
    for path in members:  # an item that has children of its own is marked itself with "."
        node = tree
        for kind, name in path:
            node = node[f"{kind}:{name}"]
        if node and "." not in node:
            node["."] = {}
    return tree


def from_fields_v1(tree: dict, prefix: Path = ()) -> set[Path]:
    found: set[Path] = set()
    for key, child in (tree or {}).items():
        if key == ".":
            found.add(prefix)
            continue
        kind, _, name = key.partition(":")
        path = prefix + ((kind, name),)
        if child:
            found |= from_fields_v1(child, path)
        else:
            found.add(path)
    return found
