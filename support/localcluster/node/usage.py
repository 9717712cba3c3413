"""What the node knows of its pods for the metrics APIs: container CPU usage, and the pods' own metrics.

On a real node the kubelet reports what cAdvisor measured, and Prometheus (read
through an adapter) what the pods expose. Here every program runs in one Python
process, so a container's CPU cannot be measured: a mock program declares the
usage a test set on it (`GET /usage` on its port, `{"cpu": "250m", "memory": "67108864"}`),
and a container that declares none uses nothing. A pod's own metric is read from
`/metrics` on its containers' ports (JSON or Prometheus text), as a scrape would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Mapping

from support.reference.metrics import MetricNotFound, parse_metric

READ_TIMEOUT = 5.0  # real seconds; the programs answer in-process


class PodReader:
    """Reads a Running pod's containers over HTTP at its address (the pod proxy's path, without the API)."""

    def usage(self, pod: Mapping) -> list[dict] | None:
        """PodMetrics `containers`: each container's CPU (millicores) and memory (bytes); None when the pod
        runs nowhere."""
        ip = _running_ip(pod)
        if ip is None:
            return None
        containers = []
        for container in (pod.get("spec") or {}).get("containers") or []:
            cpu, memory = 0, 0
            for port in _ports(container):
                declared = _get_json(f"http://{ip}:{port}/usage")
                if isinstance(declared, dict) and isinstance(declared.get("cpu"), str):
                    cpu, memory = _millicores(declared["cpu"]), _bytes(declared.get("memory"))
                    break
            containers.append({"name": container.get("name", ""),
                               "usage": {"cpu": f"{cpu}m", "memory": str(memory)}})
        return containers

    def metric(self, pod: Mapping, name: str) -> float | None:
        """The pod's value of metric `name` on the first container port that serves it; None if none does."""
        ip = _running_ip(pod)
        if ip is None:
            return None
        for container in (pod.get("spec") or {}).get("containers") or []:
            for port in _ports(container):
                body = _get_text(f"http://{ip}:{port}/metrics")
                if body is None:
                    continue
                try:
                    return parse_metric(body, name)
                except MetricNotFound:
                    continue
        return None


def _running_ip(pod: Mapping) -> str | None:
    status = pod.get("status") or {}
    return status.get("podIP") if status.get("phase") == "Running" and status.get("podIP") else None


def _ports(container: Mapping) -> list[int]:
    return [p["containerPort"] for p in container.get("ports") or [] if isinstance(p.get("containerPort"), int)]


def _millicores(text: str) -> int:
    try:
        return int(text[:-1]) if text.endswith("m") else int(float(text) * 1000)
    except ValueError:
        return 0


def _bytes(text: object) -> int:
    return int(text) if isinstance(text, str) and text.isdigit() else 0


def _get_text(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=READ_TIMEOUT) as response:  # noqa: S310 - a pod address
            return response.read().decode("utf-8", "replace") if response.status == 200 else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _get_json(url: str) -> object:
    body = _get_text(url)
    try:
        return None if body is None else json.loads(body)
    except ValueError:
        return None
