"""PATCH flavours: JSON patch (RFC 6902), JSON merge patch (RFC 7386), and an
approximation of strategic merge patch (also used for server-side apply).

Strategic merge here: maps merge recursively, `null` deletes a key, lists of
maps merge item by item on a merge key (`name` first: containers, env, ports,
volumes...; then `type` for conditions, `containerPort`, `port`, `mountPath`),
every other list is replaced. Real directives (`$patch`, `$retainKeys`) are not
modelled.
"""

from __future__ import annotations

import copy
from typing import Any

from support.localcluster.errors import ApiError, bad_request

MERGE_KEYS = ("name", "type", "containerPort", "port", "mountPath")


def json_merge(doc: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge(result.get(key), value)
    return result


def strategic_merge(doc: Any, patch: Any) -> Any:
    if isinstance(patch, dict):
        result = copy.deepcopy(doc) if isinstance(doc, dict) else {}
        for key, value in patch.items():
            if key.startswith("$"):
                continue
            if value is None:
                result.pop(key, None)
            else:
                result[key] = strategic_merge(result.get(key), value)
        return result
    if isinstance(patch, list) and isinstance(doc, list):
        key = _merge_key(doc, patch)
        if key is not None:
            return _merge_lists(doc, patch, key)
    return copy.deepcopy(patch)


def _merge_key(doc: list, patch: list) -> str | None:
    items = doc + patch
    if not patch or not all(isinstance(i, dict) for i in items):
        return None
    for key in MERGE_KEYS:
        if all(key in i for i in items):
            return key
    return None


def _merge_lists(doc: list, patch: list, key: str) -> list:
    result = copy.deepcopy(doc)
    index = {item[key]: i for i, item in enumerate(result)}
    for item in patch:
        if item[key] in index:
            position = index[item[key]]
            result[position] = strategic_merge(result[position], item)
        else:
            index[item[key]] = len(result)
            result.append(copy.deepcopy(item))
    return result


# -- JSON patch -------------------------------------------------------------------------

def json_patch(doc: Any, operations: Any) -> Any:
    if not isinstance(operations, list):
        raise bad_request("json patch must be a list of operations")
    result = copy.deepcopy(doc)
    for op in operations:
        result = _apply_op(result, op)
    return result


def _apply_op(doc: Any, op: Any) -> Any:
    if not isinstance(op, dict) or "op" not in op or "path" not in op:
        raise bad_request(f"invalid json patch operation: {op!r}")
    kind, path = op["op"], op["path"]
    if kind == "add":
        return _add(doc, path, copy.deepcopy(_value(op)))
    if kind == "remove":
        return _remove(doc, path)[0]
    if kind == "replace":
        return _replace(doc, path, copy.deepcopy(_value(op)))
    if kind in ("move", "copy"):
        source = op.get("from")
        if source is None:
            raise bad_request(f"{kind} operation requires 'from'")
        value = copy.deepcopy(_resolve(doc, source))
        if kind == "move":
            doc = _remove(doc, source)[0]
        return _add(doc, path, value)
    if kind == "test":
        if _resolve(doc, path) != _value(op):
            raise ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: "
                                           f"testing value {path} failed")
        return doc
    raise bad_request(f"unknown json patch operation {kind!r}")


def _value(op: dict) -> Any:
    if "value" not in op:
        raise bad_request(f"{op['op']} operation does not contain a value")
    return op["value"]


def _tokens(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid json pointer {path!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _resolve(doc: Any, path: str) -> Any:
    current = doc
    for token in _tokens(path):
        current = _child(current, token, path)
    return current


def _child(container: Any, token: str, path: str) -> Any:
    try:
        if isinstance(container, list):
            return container[int(token)]
        return container[token]
    except (KeyError, IndexError, ValueError, TypeError):
        raise ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: "
                                       f"path {path} does not exist") from None


def _parent(doc: Any, path: str) -> tuple[Any, str]:
    tokens = _tokens(path)
    if not tokens:
        raise bad_request("json patch operations on the whole document are not supported")
    parent = doc
    for token in tokens[:-1]:
        parent = _child(parent, token, path)
    return parent, tokens[-1]


def _replace(doc: Any, path: str, value: Any) -> Any:
    _resolve(doc, path)  # the target must exist
    if path == "":
        return value
    parent, last = _parent(doc, path)
    if isinstance(parent, list):
        parent[_index(last, len(parent), path)] = value
    else:
        parent[last] = value
    return doc


def _add(doc: Any, path: str, value: Any) -> Any:
    if path == "":
        return value
    parent, last = _parent(doc, path)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        index = len(parent) if last == "-" else _index(last, len(parent) + 1, path)
        parent.insert(index, value)
    else:
        raise ApiError(422, "Invalid", f"the server rejected our request: cannot add at {path}")
    return doc


def _remove(doc: Any, path: str) -> tuple[Any, Any]:
    parent, last = _parent(doc, path)
    if isinstance(parent, list):
        return doc, parent.pop(_index(last, len(parent), path))
    if isinstance(parent, dict) and last in parent:
        return doc, parent.pop(last)
    raise ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: "
                                   f"unable to remove nonexistent key {last}: missing value")


def _index(token: str, limit: int, path: str) -> int:
    try:
        index = int(token)
    except ValueError:
        raise bad_request(f"invalid array index in {path}") from None
    if not 0 <= index < limit:
        raise ApiError(422, "Invalid", f"the server rejected our request: index out of range in {path}")
    return index
