"""Container logs the node keeps, and answers `pods/log` from (as the kubelet's /containerLogs)."""

from __future__ import annotations

import collections
import threading

from support.localcluster.errors import ApiError

LOG_LINES_KEPT = 10_000


class ContainerLogs:
    """Log lines per (pod uid, container); thread-safe."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, str], collections.deque[str]] = {}
        self._lock = threading.Lock()

    def append(self, uid: str, container: str, line: str) -> None:
        with self._lock:
            self._lines.setdefault((uid, container), collections.deque(maxlen=LOG_LINES_KEPT)).append(line)

    def lines(self, uid: str, container: str) -> list[str] | None:
        """The container's lines, or None when it never started."""
        with self._lock:
            found = self._lines.get((uid, container))
            return list(found) if found is not None else None

    def forget_container(self, uid: str, container: str) -> None:
        with self._lock:
            self._lines.pop((uid, container), None)

    def forget_pod(self, uid: str) -> None:
        with self._lock:
            for key in [k for k in self._lines if k[0] == uid]:
                del self._lines[key]


def log_container(pod: dict, container: str | None) -> str:
    """The container `pods/log` reads: the named one, or the only one; 400 as kube-apiserver words it."""
    names = [c["name"] for c in pod.get("spec", {}).get("containers") or []]
    pod_name = pod["metadata"]["name"]
    if container is None:
        if len(names) == 1:
            return names[0]
        raise ApiError(400, "BadRequest", f"a container name must be specified for pod {pod_name}, "
                                          f"choose one of: [{' '.join(names)}]")
    if container not in names:
        raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {pod_name}")
    return container


def tail(lines: list[str], tail_lines: int | None) -> str:
    if tail_lines is not None:
        lines = lines[-tail_lines:] if tail_lines > 0 else []
    return "".join(line + "\n" for line in lines)
