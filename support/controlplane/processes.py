"""Background processes that outlive the command that started them, and stop by pid.

Each process gets its own session (so a Ctrl-C in the starting shell does not reach
it) and a log file. `stop` checks that the pid still runs the recorded program before
signalling it, so a pid the kernel has since reused is never touched. Every wait polls
through support.waiting on the real clock.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from hamcrest import any_of, equal_to, starts_with

from support.clock import RealClock
from support.waiting import Poller, WaitTimeout

KILL_WAIT = 5.0  # seconds a SIGKILLed process may take to be gone


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
    try:
        _settle(process, child)
    except WaitTimeout:  # a process we could not recognise later could not be stopped: do not leave it
        child.kill()
        child.wait()
        raise
    return process


def _settle(process: Process, child: subprocess.Popen, within: float = 5.0) -> None:
    """Popen returns while exec is still placing the new program's arguments: until they are there,
    /proc/PID/cmdline reads empty and the process would look like someone else's (and never be stopped)."""
    def program() -> str:
        code = child.poll()
        return f"exited with {code}" if code is not None else (_cmdline(process.pid)[:1] or [""])[0]

    _poller(0.01).eventually(program, any_of(equal_to(process.program), starts_with("exited")), within=within,
                             what=f"{process.name} (pid {process.pid}) to run {process.program}")


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
    try:
        _wait_gone(process, within=grace, after="SIGTERM")
    except WaitTimeout:
        if is_running(process):
            os.kill(process.pid, signal.SIGKILL)
        _wait_gone(process, within=max(grace, KILL_WAIT), after="SIGKILL")
    return True


def _wait_gone(process: Process, within: float, after: str) -> None:
    def running() -> bool:
        _reap(process.pid)  # our own child leaves no zombie
        return is_running(process)

    _poller(0.1).eventually(running, equal_to(False), within=within,
                            what=f"{process.name} (pid {process.pid}) to exit after {after}")


def _poller(interval: float) -> Poller:
    return Poller(RealClock(), interval=interval)


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
