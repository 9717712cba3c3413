"""Readiness and liveness probes, run by the agent from the node against the pod's address.

httpGet (2xx/3xx is success) and tcpSocket are supported; an exec probe cannot run here,
and fails with a message that says so.
Each probe runs on its own thread on the probe's own period (a timer, as the kubelet's).
"""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class ProbeSpec:
    kind: str          # "readiness" or "liveness"
    action: dict
    initial_delay: float
    period: float
    timeout: float
    success_threshold: int
    failure_threshold: int

    @classmethod
    def from_container(cls, container: dict, kind: str) -> "ProbeSpec | None":
        probe = container.get(f"{kind}Probe")
        if not probe:
            return None
        return cls(kind, probe, float(probe.get("initialDelaySeconds", 0)), float(probe.get("periodSeconds", 10)),
                   float(probe.get("timeoutSeconds", 1)), int(probe.get("successThreshold", 1)),
                   int(probe.get("failureThreshold", 3)))


def resolve_port(port: int | str, container: dict) -> int:
    if isinstance(port, int) or str(port).isdigit():
        return int(port)
    for declared in container.get("ports") or []:
        if declared.get("name") == port:
            return int(declared["containerPort"])
    raise ValueError(f"the probe names port {port!r}, which the container does not declare")


def check(action: dict, ip: str, container: dict, timeout: float) -> tuple[bool, str]:
    """(success, message) of one probe attempt."""
    try:
        if "httpGet" in action:
            get = action["httpGet"]
            scheme = get.get("scheme", "HTTP").lower()
            url = f"{scheme}://{get.get('host') or ip}:{resolve_port(get['port'], container)}{get.get('path', '/')}"
            request = urllib.request.Request(url, headers={h["name"]: h["value"] for h in get.get("httpHeaders") or []})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return 200 <= response.status < 400, f"HTTP probe answered {response.status}"
        if "tcpSocket" in action:
            port = resolve_port(action["tcpSocket"]["port"], container)
            with socket.create_connection((action["tcpSocket"].get("host") or ip, port), timeout=timeout):
                return True, "TCP probe connected"
        if "grpc" in action:
            port = int(action["grpc"]["port"])
            with socket.create_connection((ip, port), timeout=timeout):
                return True, "gRPC port accepts connections"
        return False, "exec probes cannot run on the budaiscaler-spec node agent: use httpGet or tcpSocket"
    except urllib.error.HTTPError as error:
        return False, f"HTTP probe failed with statuscode: {error.code}"
    except (OSError, ValueError) as error:
        return False, f"probe failed: {error}"


class Prober:
    """Runs one probe until stopped; calls `on_change(healthy)` when the result flips."""

    def __init__(self, spec: ProbeSpec, ip: str, container: dict, on_change: Callable[[bool, str], None]):
        self.spec, self.ip, self.container, self.on_change = spec, ip, container, on_change
        self._stop = threading.Event()
        self.healthy: bool | None = None
        self._thread = threading.Thread(target=self._loop, name=f"{spec.kind}-probe-{container.get('name')}",
                                        daemon=True)

    def start(self) -> "Prober":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        if self._stop.wait(self.spec.initial_delay):
            return
        successes = failures = 0
        while not self._stop.is_set():
            ok, message = check(self.spec.action, self.ip, self.container, self.spec.timeout)
            successes, failures = (successes + 1, 0) if ok else (0, failures + 1)
            if ok and successes >= self.spec.success_threshold and self.healthy is not True:
                self.healthy = True
                self.on_change(True, message)
            elif not ok and failures >= self.spec.failure_threshold and self.healthy is not False:
                self.healthy = False
                self.on_change(False, message)
            self._stop.wait(self.spec.period)
