"""Mock programs stop on SIGTERM (audit item 7).

In a pod a program runs as PID 1, which has no default SIGTERM action: a program without
its own handler lets every pod deletion wait the whole grace period. Run as programs, each
must exit 0 promptly on SIGTERM (without a handler it would die of the signal instead).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SERVERS = Path(__file__).resolve().parent.parent / "mocks" / "servers"
PROGRAMS = sorted(p.name for p in SERVERS.glob("*.py") if "mockhttp.main(" in p.read_text())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_program_is_covered():
    assert set(PROGRAMS) >= {"vllm_sidecar.py", "metrics_server.py", "dcgm_server.py", "learning_metrics.py"}


@pytest.mark.parametrize("program", PROGRAMS)
def test_program_exits_cleanly_on_sigterm(program):
    process = subprocess.Popen([sys.executable, str(SERVERS / program), "--port", str(_free_port())],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = process.stdout.readline()
        assert "serving on" in first, f"{program} did not start: {first}{process.stdout.read()}"
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        rest = process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 0, f"{program} died of SIGTERM (exit {code}) instead of stopping: {rest}"
    assert "stopping" in rest, f"{program} did not say it was stopping: {rest!r}"
