"""Server-side apply and managedFields, as kube-apiserver keeps them.

Every API write records who set what in `metadata.managedFields` (FieldsV1, one
entry per manager, operation and subresource): a create or update gives the
writer (an `Update` manager) the fields it changed and takes them from the
others. An apply (`Apply` manager) merges its configuration into the object
(keyed lists by their merge keys, other lists and atomic maps replaced) and
owns exactly the fields it sets; setting a field another manager owns to a
different value is a conflict (409, worded as kube-apiserver words it) unless
`force=true` takes it over; a field the manager applied before and no longer
applies is removed, unless another manager owns it too.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from support.localcluster.apiserver.fields import (MISSING, Path, Shape, field_set, fields_v1, from_fields_v1,
                                                    key_of, path_string, remove_at, value_at)
from support.localcluster.errors import ApiError

APPLY, UPDATE = "Apply", "Update"


@dataclass
class Manager:
    manager: str
    operation: str
    api_version: str
    time: str
    subresource: str = ""
    paths: set[Path] = field(default_factory=set)

    def same(self, manager: str, operation: str, subresource: str) -> bool:
        return (self.manager, self.operation, self.subresource) == (manager, operation, subresource)

    def printed(self) -> str:
        text = f'"{self.manager}"'
        if self.subresource:
            text += f' with subresource "{self.subresource}"'
        if self.operation == UPDATE:
            text += f" using {self.api_version}" + (f" at {self.time}" if self.time else "")
        return text

    def entry(self) -> dict:
        entry = {"manager": self.manager, "operation": self.operation, "apiVersion": self.api_version,
                 "time": self.time, "fieldsType": "FieldsV1", "fieldsV1": fields_v1(self.paths)}
        if self.subresource:
            entry["subresource"] = self.subresource
        return entry


def managers_of(obj: dict | None) -> list[Manager]:
    found = []
    for entry in ((obj or {}).get("metadata") or {}).get("managedFields") or []:
        if isinstance(entry, dict) and entry.get("fieldsType", "FieldsV1") == "FieldsV1":
            found.append(Manager(str(entry.get("manager", "")), str(entry.get("operation", UPDATE)),
                                 str(entry.get("apiVersion", "")), str(entry.get("time") or ""),
                                 str(entry.get("subresource") or ""), from_fields_v1(entry.get("fieldsV1") or {})))
    return found


def _store_managers(obj: dict, managers: list[Manager]) -> None:
    kept = [m.entry() for m in managers if m.paths]
    if kept:
        obj["metadata"]["managedFields"] = kept
    else:
        obj["metadata"].pop("managedFields", None)


# -- updates -------------------------------------------------------------------------------

def track_update(old: dict | None, new: dict, shape: Shape, manager: str, api_version: str, now: str,
                 subresource: str = "") -> None:
    """Record in `new` that `manager` set what it changed from `old` (None: it created `new`)."""
    status = subresource == "status"
    managers = managers_of(old)
    new_fields = field_set(new, shape, status)
    if old is None:
        changed, removed = new_fields, set()
    else:
        old_fields = field_set(old, shape, status)
        changed = _changed(new_fields, new, old, shape)
        removed = old_fields - new_fields
    if changed or removed:
        for other in managers:
            if (other.subresource == "status") == status:
                other.paths -= changed | removed
        mine = next((m for m in managers if m.same(manager, UPDATE, subresource)), None)
        if mine is None:
            mine = Manager(manager, UPDATE, api_version, now, subresource)
            managers.append(mine)
        mine.paths |= changed
        mine.time, mine.api_version = now, api_version
    _store_managers(new, managers)


def _changed(paths: set[Path], new: dict, old: dict, shape: Shape) -> set[Path]:
    """The paths whose value differs in `new` and `old`. A path under a prefix that holds the same
    in both is the same too: each prefix is compared once, so an unchanged subtree costs one comparison."""
    same: dict[Path, bool] = {}

    def holds_the_same(path: Path) -> bool:
        found = same.get(path)
        if found is None:
            found = same[path] = value_at(new, path, shape) == value_at(old, path, shape)
        return found

    return {p for p in paths if not any(holds_the_same(p[:end]) for end in range(1, len(p) + 1))}


# -- apply ---------------------------------------------------------------------------------

def apply(live: dict | None, config: dict, shape: Shape, manager: str, api_version: str, force: bool,
          now: str) -> dict:
    """The object once `manager` applied `config` to `live` (None: it does not exist yet)."""
    managers = managers_of(live)
    applied = field_set(config, shape)
    others = [m for m in managers if not m.same(manager, APPLY, "") and m.subresource != "status"]
    conflicts = [(m, p) for m in others for p in sorted(applied & m.paths)
                 if p[-1][0] == "f" and value_at(config, p, shape) != value_at(live, p, shape)]
    if conflicts and not force:
        raise conflict_error(conflicts)
    for other, path in conflicts:
        other.paths.discard(path)
    merged = merge(copy.deepcopy(live) if live is not None else {}, config, shape)
    mine = next((m for m in managers if m.same(manager, APPLY, "")), None)
    held = set().union(*(m.paths for m in others)) if others else set()
    for path in sorted((mine.paths if mine else set()) - applied, key=len):  # an item before its fields
        if not any(q[:len(path)] == path for q in held):
            remove_at(merged, path, shape)
    if mine is None:
        mine = Manager(manager, APPLY, api_version, now)
        managers.append(mine)
    mine.paths, mine.time, mine.api_version = applied, now, api_version
    merged.setdefault("metadata", {})
    _store_managers(merged, managers)
    return merged


def merge(live: object, config: object, shape: Shape) -> object:
    """`config` merged into `live` (which it may change): maps field by field, keyed lists item by item."""
    if isinstance(config, dict) and not shape.atomic():
        result = live if isinstance(live, dict) else {}
        for name, value in config.items():
            if value is None:
                result.pop(name, None)
            else:
                result[name] = merge(result.get(name, MISSING), value, shape.child(name))
        return result
    if isinstance(config, list) and isinstance(live, list):
        kind, keys = shape.list_type()
        if kind == "map" and all(isinstance(i, dict) for i in config + live):
            return _merge_keyed(live, config, shape, keys)
        if kind == "set":
            return live + [i for i in config if i not in live]
    return copy.deepcopy(config)


def _merge_keyed(live: list, config: list, shape: Shape, keys: tuple[str, ...]) -> list:
    index = {key_of(item, keys): position for position, item in enumerate(live)}
    for item in config:
        position = index.get(key_of(item, keys))
        if position is None:
            index[key_of(item, keys)] = len(live)
            live.append(copy.deepcopy(item))
        else:
            live[position] = merge(live[position], item, shape.item())
    return live


def conflict_error(conflicts: list[tuple[Manager, Path]]) -> ApiError:
    causes = [{"type": "FieldManagerConflict", "message": f"conflict with {m.printed()}", "field": path_string(p)}
              for m, p in conflicts]
    if len(conflicts) == 1:
        text = f"conflict with {conflicts[0][0].printed()}: {path_string(conflicts[0][1])}"
    else:
        lines = []
        for printed in sorted({m.printed() for m, _ in conflicts}):
            lines.append(f"conflicts with {printed}:")
            lines += [f"- {path_string(p)}" for m, p in conflicts if m.printed() == printed]
        text = "\n".join(lines)
    count = len(conflicts)
    return ApiError(409, "Conflict", f"Apply failed with {count} conflict{'s' if count > 1 else ''}: {text}",
                    details={"causes": causes})
