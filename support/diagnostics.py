"""What a failed scenario leaves behind: the scaler, pods, events and controller log, as artifacts.

Collected only on failure (passing runs stay quiet). Each piece is collected on
its own, so a broken cluster still yields whatever could be read. Every piece
passes the redactor first: no token, password or key is written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import yaml

from support.cluster import CONTROLLER_SELECTOR, SCALER_API, SCALER_KIND, Cluster, is_ready
from support.report.redact import Redactor, shared

CONTROLLER_LOG_LINES = 400


def collect(cluster: Cluster, namespace: str, controller_namespace: str, directory: Path,
            redactor: Redactor | None = None) -> list[Path]:
    """Write diagnostics for `namespace` into `directory`; returns the files written."""
    redactor = redactor or shared()
    directory.mkdir(parents=True, exist_ok=True)
    pieces: dict[str, Callable[[], str]] = {
        "budaiscalers.yaml": lambda: _yaml(cluster.list(SCALER_API, SCALER_KIND, namespace), redactor),
        "deployments.yaml": lambda: _yaml(cluster.list("apps/v1", "Deployment", namespace), redactor),
        "pods.txt": lambda: _pod_table(cluster.pods(namespace)),
        "pods.yaml": lambda: _yaml(cluster.pods(namespace), redactor),
        "events.txt": lambda: _events(cluster.events(namespace)),
        "configmaps.txt": lambda: "\n".join(c["metadata"]["name"] for c in cluster.configmaps(namespace)),
        "controller.log": lambda: _controller_log(cluster, controller_namespace, namespace),
    }
    written = []
    for filename, read in pieces.items():
        path = directory / filename
        try:
            text = read()
        except Exception as error:  # diagnostics must never hide the real failure
            text = f"could not collect {filename}: {type(error).__name__}: {error}\n"
        path.write_text(redactor.text(text))
        written.append(path)
    return written


def summary(cluster: Cluster, namespace: str) -> str:
    """A few lines for the report: each scaler's status and condition."""
    try:
        scalers = cluster.list(SCALER_API, SCALER_KIND, namespace)
    except Exception as error:
        return f"could not read scalers: {error}"
    lines = []
    for scaler in scalers:
        status = scaler.get("status") or {}
        ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
        lines.append(f"{scaler['metadata']['name']}: desired={status.get('desiredScale')} "
                     f"actual={status.get('actualScale')} Ready={ready.get('status')} "
                     f"({ready.get('reason')}: {ready.get('message')})")
    return "\n".join(lines) or "no BudAIScaler in the namespace"


def _yaml(objects: list[dict], redactor: Redactor) -> str:
    for obj in objects:
        obj.get("metadata", {}).pop("managedFields", None)
    return yaml.safe_dump_all(redactor.data(objects), sort_keys=False)


def _pod_table(pods: list[dict]) -> str:
    rows = [("NAME", "PHASE", "READY", "IP", "RESTARTS", "DELETING")]
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        status = pod.get("status") or {}
        restarts = sum(c.get("restartCount", 0) for c in status.get("containerStatuses") or [])
        rows.append((pod["metadata"]["name"], status.get("phase", "?"), "yes" if is_ready(pod) else "no",
                     status.get("podIP") or "-", str(restarts), "yes" if pod["metadata"].get("deletionTimestamp")
                     else "no"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def event_time(event: dict) -> str:
    """When an event happened: core/v1 events have lastTimestamp, events.k8s.io ones only eventTime (audit item 12)."""
    return (event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
            or (event.get("metadata") or {}).get("creationTimestamp") or "(no time)")


def _events(events: list[dict]) -> str:
    rows = sorted(events, key=event_time)
    return "\n".join(f"{event_time(e)} {e.get('type')} {e.get('reason')} "
                     f"{e.get('involvedObject', {}).get('kind')}/{e.get('involvedObject', {}).get('name')}: "
                     f"{e.get('message')}" for e in rows)


def _controller_log(cluster: Cluster, controller_namespace: str, namespace: str) -> str:
    """The controller's recent log lines that mention the scenario's namespace."""
    lines = []
    for pod in cluster.pods(controller_namespace, CONTROLLER_SELECTOR):  # its pods only, not its neighbours
        log = cluster.pod_log(controller_namespace, pod["metadata"]["name"], tail_lines=CONTROLLER_LOG_LINES)
        lines += [f"[{pod['metadata']['name']}] {line}" for line in log.splitlines()
                  if re.search(re.escape(namespace), line) or "started" in line]
    return "\n".join(lines) + "\n"
