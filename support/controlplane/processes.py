"""Background processes that outlive the command that started them, and stop by pid.

Each process gets its own session (so a Ctrl-C in the starting shell does not reach
it) and a log file. `stop` checks that the pid still runs the recorded program before
signalling it, so a pid the kernel has since reused is never touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Process:
    name: str
    pid: int
    program: str  # argv[0] as started: the identity checked before signalling
    log: str

    def to_dict(self) -> dict:
        return asdict(self)


def start(name: str, argv: list[str], log: Path, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> Process:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True, env=env, cwd=cwd)
    process = Process(name, child.pid, argv[0], str(log))
    _settle(process, child)
    return process


def _settle(process: Process, child: subprocess.Popen, within: float = 5.0) -> None:
    """Popen returns while exec is still placing the new program's arguments: until they are there,
    /proc/PID/cmdline reads empty and the process would look like someone else's."""
    deadline = time.monotonic() + within
    while child.poll() is None and time.monotonic() < deadline:
        if _cmdline(process.pid)[:1] == [process.program]:
            return
        time.sleep(0.01)


def _cmdline(pid: int) -> list[str]:
    try:
        return [part.decode(errors="replace") for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
    except OSError:
        return []


def is_running(process: Process) -> bool:
    try:
        state = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and _cmdline(process.pid)[:1] == [process.program]


def stop(process: Process, grace: float = 10.0) -> bool:
    """SIGTERM, then SIGKILL after `grace` seconds; True if it was running."""
    if not is_running(process):
        _reap(process.pid)
        return False
    os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while is_running(process) and time.monotonic() < deadline:
        _reap(process.pid)
        time.sleep(0.1)
    if is_running(process):
        os.kill(process.pid, signal.SIGKILL)
        while is_running(process):
            _reap(process.pid)
            time.sleep(0.05)
    _reap(process.pid)
    return True


def _reap(pid: int) -> None:
    """Collect the exit status when the process is our child (started by this same command)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def tail(path: str | Path, lines: int = 20) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
