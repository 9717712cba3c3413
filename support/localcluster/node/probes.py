"""Readiness probes as the kubelet runs them: httpGet must answer 2xx/3xx, tcpSocket must accept."""

from __future__ import annotations

import http.client
import socket


def probe(container: dict, ip: str) -> bool:
    """One readiness probe of `container` at `ip`; a container without one passes."""
    spec = container.get("readinessProbe") or {}
    timeout = float(spec.get("timeoutSeconds") or 1)
    try:
        if "httpGet" in spec:
            action = spec["httpGet"]
            connection = http.client.HTTPConnection(ip, container_port(container, action.get("port")),
                                                    timeout=timeout)
            try:
                connection.request("GET", action.get("path") or "/",
                                   headers={h["name"]: h["value"] for h in action.get("httpHeaders") or []})
                return 200 <= connection.getresponse().status < 400
            finally:
                connection.close()
        if "tcpSocket" in spec:
            socket.create_connection((ip, container_port(container, spec["tcpSocket"].get("port"))),
                                     timeout=timeout).close()
    except (OSError, http.client.HTTPException, ValueError):
        return False
    return True


def container_port(container: dict, port: str | int | None) -> int:
    """A port of the container: a number, a named containerPort, or None for the first one."""
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    for entry in container.get("ports") or []:
        if port is None or entry.get("name") == port:
            return int(entry["containerPort"])
    raise ValueError(f'container {container.get("name")} has no port named "{port}"')


def initial_delay(pod: dict, ready_delay: float) -> float:
    """When the first readiness check runs: the modelled delay, or a later initialDelaySeconds."""
    delays = [float(c["readinessProbe"].get("initialDelaySeconds") or 0)
              for c in pod["spec"].get("containers") or [] if c.get("readinessProbe")]
    return max([ready_delay, *delays])


def retry_period(pod: dict, failing: list[dict]) -> float:
    return min(float((c.get("readinessProbe") or {}).get("periodSeconds") or 10) for c in failing)
