"""Container processes: started in a pod's network namespace, logged, stopped gracefully, watched.

Each container's output is written to its log file as CRI does, one line per record with an
RFC 3339 timestamp in front, so the kubelet port can serve `pods/log` with or without
timestamps. `stop(grace)` sends SIGTERM, waits up to `grace` seconds, then SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[3]


def timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Exit:
    code: int
    started_at: str
    finished_at: str
    reason: str  # Completed, Error, or OOMKilled-like words the kubelet uses


@dataclass
class ContainerProcess:
    name: str
    netns: str
    spec: dict           # what container.py reads on stdin
    log_path: Path
    on_exit: Callable[["ContainerProcess", Exit], None]
    started_at: str = ""
    stopping: bool = False
    _process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        argv = ["ip", "netns", "exec", self.netns, sys.executable, "-m", "support.controlplane.node.container"]
        self._process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         cwd=ROOT, start_new_session=True, env=_container_env())
        self.started_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._process.stdin.write(json.dumps(self.spec).encode())
        self._process.stdin.close()
        threading.Thread(target=self._copy_log, name=f"log-{self.name}", daemon=True).start()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, grace: float) -> None:
        """SIGTERM, then SIGKILL when `grace` seconds pass; returns when the process is gone."""
        self.stopping = True
        if not self.running():
            return
        self._signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=max(grace, 0))
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self._process.wait()

    def _signal(self, signum: int) -> None:
        try:
            os.killpg(self._process.pid, signum)  # ip netns exec execs the program: same group
        except ProcessLookupError:
            pass

    def _copy_log(self) -> None:
        with open(self.log_path, "a", encoding="utf-8") as log:
            for raw in self._process.stdout:
                log.write(f"{timestamp()} {raw.decode(errors='replace').rstrip()}\n")
                log.flush()
        code = self._process.wait()
        finished = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        reason = "Completed" if code == 0 else "Error"
        self.on_exit(self, Exit(code if code >= 0 else 128 - code, self.started_at, finished, reason))


def _container_env() -> dict[str, str]:
    # the container gets its env from the spec; this is only what the wrapper itself needs
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")
    return {key: os.environ[key] for key in keep if key in os.environ}


def read_log(path: Path, tail_lines: int | None = None, timestamps: bool = False,
             since: datetime | None = None, limit_bytes: int | None = None) -> str:
    """A container log as `pods/log` returns it."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return ""
    if since is not None:
        lines = [line for line in lines if _parse(line.split(" ", 1)[0]) >= since]
    if tail_lines is not None:
        lines = lines[-tail_lines:] if tail_lines > 0 else []
    if not timestamps:
        lines = [line.split(" ", 1)[1] if " " in line else "" for line in lines]
    text = "".join(line + "\n" for line in lines)
    return text[:limit_bytes] if limit_bytes else text


def _parse(stamp: str) -> datetime:
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
