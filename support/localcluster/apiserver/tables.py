"""Server-side printing: meta.k8s.io/v1 Table responses for `kubectl get`.

Built-in kinds get the columns the real API server prints; custom resources get
their CRD's additionalPrinterColumns (simple JSONPaths, including the
`[?(@.type=='Ready')]` filter). Ages are computed on the cluster clock.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Callable

from support.localcluster.apiserver.resources import Resource

Column = tuple[str, str, int, Callable[[dict, float], Any]]  # name, type, priority, cell(obj, now)


def human_duration(seconds: float) -> str:
    """kubectl's HumanDuration (k8s.io/apimachinery/pkg/util/duration)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes, hours = s // 60, s // 3600
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def age_of(timestamp: str | None, now: float) -> str:
    if not timestamp:
        return "<unknown>"
    then = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    return human_duration(now - then)


def _age(obj: dict, now: float) -> str:
    return age_of(obj.get("metadata", {}).get("creationTimestamp"), now)


def _name(obj: dict, now: float) -> str:
    return obj["metadata"]["name"]


# -- JSONPath (the subset printer columns use) -------------------------------------------

_TOKEN = re.compile(r"\[([^\]]*)\]|\.?([^.\[]+)")
_FILTER = re.compile(r"""\?\(@\.([\w.\-]+)\s*(==|!=)\s*['"]?(.*?)['"]?\)""")


def jsonpath(obj: Any, path: str) -> list[Any]:
    """All values `path` selects in `obj` (kubectl-style `.a.b[0].c`, `[*]`, `[?(@.k=='v')]`)."""
    values = [obj]
    for bracket, name in _TOKEN.findall(path.strip().lstrip("{").rstrip("}")):
        values = _step(values, bracket, name)
    return values


def _step(values: list[Any], bracket: str, name: str) -> list[Any]:
    if name:
        return [v[name] for v in values if isinstance(v, dict) and name in v]
    lists = [v for v in values if isinstance(v, list)]
    if bracket == "*":
        return [item for v in lists for item in v]
    if match := _FILTER.fullmatch(bracket):
        field, op, wanted = match.groups()
        return [item for v in lists for item in v if _filter_ok(item, field, op, wanted)]
    try:
        index = int(bracket)
    except ValueError:
        return []
    return [v[index] for v in lists if -len(v) <= index < len(v)]


def _filter_ok(item: Any, field: str, op: str, wanted: str) -> bool:
    found = jsonpath(item, "." + field)
    equal = bool(found) and str(found[0]) == wanted
    return equal if op == "==" else not equal


def _printer_cell(column: dict) -> Callable[[dict, float], Any]:
    def cell(obj: dict, now: float) -> Any:
        found = jsonpath(obj, column["jsonPath"])
        if not found or found[0] is None:
            return None
        value = found[0]
        if column.get("type") == "date":
            return age_of(value, now)
        if column.get("type") in ("integer", "number") and not isinstance(value, bool):
            return value
        return str(value).lower() if isinstance(value, bool) else (value if isinstance(value, str) else str(value))
    return cell


# -- built-in columns ---------------------------------------------------------------------

def _pod_ready(obj: dict, now: float) -> str:
    statuses = obj.get("status", {}).get("containerStatuses") or []
    total = len(obj.get("spec", {}).get("containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def _pod_status(obj: dict, now: float) -> str:
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    status = obj.get("status", {})
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        detail = (state.get("waiting") or {}).get("reason") or (state.get("terminated") or {}).get("reason")
        if detail:
            reason = detail
    return reason


def _pod_restarts(obj: dict, now: float) -> int:
    return sum(s.get("restartCount", 0) for s in obj.get("status", {}).get("containerStatuses") or [])


def _field(path: str, default: Any = "<none>") -> Callable[[dict, float], Any]:
    def cell(obj: dict, now: float) -> Any:
        found = jsonpath(obj, path)
        return found[0] if found and found[0] is not None else default
    return cell


def _deploy_ready(obj: dict, now: float) -> str:
    return f"{obj.get('status', {}).get('readyReplicas', 0)}/{obj.get('spec', {}).get('replicas', 0)}"


def _containers(attr: str) -> Callable[[dict, float], str]:
    def cell(obj: dict, now: float) -> str:
        containers = obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []
        return ",".join(c.get(attr, "") for c in containers)
    return cell


def _selector(obj: dict, now: float) -> str:
    labels = obj.get("spec", {}).get("selector", {})
    labels = labels.get("matchLabels", labels) if isinstance(labels, dict) else {}
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "<none>"


def _service_ports(obj: dict, now: float) -> str:
    ports = obj.get("spec", {}).get("ports") or []
    shown = [f"{p.get('port')}:{p['nodePort']}/{p.get('protocol', 'TCP')}" if p.get("nodePort")
             else f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in ports]
    return ",".join(shown) or "<none>"


def _data_count(obj: dict, now: float) -> int:
    return len(obj.get("data") or {}) + len(obj.get("binaryData") or {})


def _event_last_seen(obj: dict, now: float) -> str:
    stamp = obj.get("lastTimestamp") or obj.get("eventTime") or obj["metadata"].get("creationTimestamp")
    return age_of(stamp, now)


def _event_object(obj: dict, now: float) -> str:
    involved = obj.get("involvedObject", {})
    return f"{involved.get('kind', '').lower()}/{involved.get('name', '')}"


NAME: Column = ("Name", "string", 0, _name)
AGE: Column = ("Age", "string", 0, _age)

BUILTIN_COLUMNS: dict[str, list[Column]] = {
    "Pod": [NAME, ("Ready", "string", 0, _pod_ready), ("Status", "string", 0, _pod_status),
            ("Restarts", "string", 0, _pod_restarts), AGE, ("IP", "string", 1, _field(".status.podIP")),
            ("Node", "string", 1, _field(".spec.nodeName"))],
    "Deployment": [NAME, ("Ready", "string", 0, _deploy_ready),
                   ("Up-to-date", "string", 0, _field(".status.updatedReplicas", 0)),
                   ("Available", "string", 0, _field(".status.availableReplicas", 0)), AGE,
                   ("Containers", "string", 1, _containers("name")), ("Images", "string", 1, _containers("image")),
                   ("Selector", "string", 1, _selector)],
    "StatefulSet": [NAME, ("Ready", "string", 0, _deploy_ready), AGE,
                    ("Containers", "string", 1, _containers("name")), ("Images", "string", 1, _containers("image"))],
    "ReplicaSet": [NAME, ("Desired", "integer", 0, _field(".spec.replicas", 0)),
                   ("Current", "integer", 0, _field(".status.replicas", 0)),
                   ("Ready", "integer", 0, _field(".status.readyReplicas", 0)), AGE],
    "Service": [NAME, ("Type", "string", 0, _field(".spec.type")), ("Cluster-IP", "string", 0, _field(".spec.clusterIP")),
                ("External-IP", "string", 0, lambda o, n: "<none>"), ("Port(s)", "string", 0, _service_ports), AGE,
                ("Selector", "string", 1, lambda o, n: ",".join(f"{k}={v}" for k, v in
                                                                (o.get("spec", {}).get("selector") or {}).items()) or "<none>")],
    "ConfigMap": [NAME, ("Data", "integer", 0, _data_count), AGE],
    "Namespace": [NAME, ("Status", "string", 0, _field(".status.phase", "Active")), AGE],
    "Event": [("Last Seen", "string", 0, _event_last_seen), ("Type", "string", 0, _field(".type", "")),
              ("Reason", "string", 0, _field(".reason", "")), ("Object", "string", 0, _event_object),
              ("Message", "string", 0, _field(".message", "")), ("Name", "string", 1, _name)],
    "CustomResourceDefinition": [NAME, ("Created At", "date", 0, _field(".metadata.creationTimestamp", ""))],
}


def columns_for(resource: Resource, crd_version: dict) -> list[Column]:
    if resource.crd_name:
        printer = crd_version.get("additionalPrinterColumns")
        if not printer:
            return [NAME, AGE]
        return [NAME, *[(c["name"], c.get("type", "string"), c.get("priority", 0), _printer_cell(c))
                        for c in printer]]
    return BUILTIN_COLUMNS.get(resource.kind, [NAME, AGE])


def to_table(resource: Resource, crd_version: dict, objects: list[dict], now: float,
             resource_version: str, include_object: str = "Metadata") -> dict:
    columns = columns_for(resource, crd_version)
    definitions = [{"name": name, "type": kind, "format": "name" if name == "Name" else "",
                    "description": name, "priority": priority} for name, kind, priority, _ in columns]
    rows = [{"cells": [cell(obj, now) for _, _, _, cell in columns], "object": _row_object(obj, include_object)}
            for obj in objects]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": definitions, "rows": rows}


def _row_object(obj: dict, include_object: str) -> dict | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}
