"""Background processes of the control plane: started, recognised by pid and program, stopped."""

from __future__ import annotations

import os
import sys

import pytest
from hamcrest import assert_that, contains_string, equal_to, is_

from support.controlplane import processes
from support.waiting import WaitTimeout

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
DEAF = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                              "print('deaf', flush=True); time.sleep(60)"]


def test_a_started_process_runs_and_stops_on_sigterm(tmp_path):
    process = processes.start("sleeper", SLEEPER, tmp_path / "sleeper.log")
    assert_that(processes.is_running(process), is_(True), "the process just started")
    assert_that(processes.stop(process, grace=5), is_(True), "stop() of a running process")
    assert_that(processes.is_running(process), is_(False), "the process after stop()")
    assert_that(processes.stop(process), is_(False), "stop() of a process already gone")


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace(tmp_path):
    log = tmp_path / "deaf.log"
    process = processes.start("deaf", DEAF, log)
    processes._poller(0.05).eventually(lambda: log.read_text(), contains_string("deaf"), within=10,
                                       what="the process to ignore SIGTERM")
    assert_that(processes.stop(process, grace=0.3), is_(True), "stop() of a process that ignores SIGTERM")
    assert_that(processes.is_running(process), is_(False), "the process after SIGKILL")


def test_a_pid_running_another_program_is_never_signalled():
    someone_else = processes.Process("reused", os.getpid(), "/not/the/program/we/started", "/dev/null")
    assert_that(processes.stop(someone_else), is_(False), "stop() of a pid reused by another program")


def test_a_process_that_does_not_go_says_what_was_waited_for(tmp_path):
    process = processes.start("sleeper", SLEEPER, tmp_path / "sleeper.log")
    try:
        with pytest.raises(WaitTimeout) as failure:
            processes._wait_gone(process, within=0.2, after="SIGTERM")
        message = str(failure.value)
        for said in ("sleeper", f"pid {process.pid}", "to exit after SIGTERM", "expected:   <False>",
                     "last seen:  was <True>", "last error:"):
            assert_that(message, contains_string(said))
    finally:
        assert_that(processes.stop(process, grace=5), equal_to(True))
