"""Progress lines of long waits: live on a terminal, plain and periodic otherwise, quiet on virtual time."""

import io

from hamcrest import equal_to, less_than_or_equal_to

from support.clock import RealClock, VirtualClock
from support.progress import Progress, clock_time, describe, install, limit_text
from support.waiting import Poller, WaitRecord


class FakeWall:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def record(kind="eventually", value=4, limit=180.0, clock=None):
    clock = clock or VirtualClock()
    wait = WaitRecord(started=clock.now(), kind=kind, what="the desired replicas to fall to at most 2",
                      limit=limit, matcher=less_than_or_equal_to(2), clock=clock)
    wait.last_value = value
    return wait, clock


def test_the_line_says_the_limit_what_is_awaited_what_was_seen_and_the_time_elapsed():
    wait, clock = record()
    clock.advance(72)
    assert describe(wait) == "waiting ≤ 3 min for the desired replicas to fall to at most 2: now 4, 01:12 elapsed"


def test_a_check_that_something_stays_says_how_long_of_how_long():
    wait, clock = record(kind="consistently", value=1, limit=120.0)
    wait.matcher, wait.what = equal_to(1), "the desired replicas"
    clock.advance(40)
    assert describe(wait) == "checking the desired replicas stays <1> for 2 min: now 1, 00:40 of 02:00"


def test_a_wait_that_saw_nothing_names_the_last_error():
    wait, _ = record()
    wait.last_value = WaitRecord(started=0).last_value  # nothing seen
    wait.last_error = LookupError("the scaler reports no desired replicas yet")
    assert "nothing seen yet (last error: the scaler reports no desired replicas yet)" in describe(wait)


def test_times_and_limits_read_as_people_write_them():
    assert [clock_time(s) for s in (0, 75, 3725)] == ["00:00", "01:15", "1:02:05"]
    assert [limit_text(s) for s in (90, 180, 150, 5400)] == ["90 s", "3 min", "150 s", "1.5 h"]


def _observe(progress, wait, wall, at):
    wall.now = at
    progress.wait_observed(wait)


def test_on_a_terminal_one_line_is_redrawn_in_place_and_cleared_at_the_end():
    stream, wall = io.StringIO(), FakeWall()
    progress = Progress(stream, live=True, wall=wall)
    wait, _ = record(clock=RealClock())
    progress.wait_started(wait)
    _observe(progress, wait, wall, 0.5)      # too early: short waits stay silent
    assert stream.getvalue() == ""
    _observe(progress, wait, wall, 1.5)
    _observe(progress, wait, wall, 1.6)      # too soon after the last redraw
    _observe(progress, wait, wall, 2.0)
    progress.wait_ended(wait, None)
    out = stream.getvalue()
    assert out.count("\r\x1b[2Kwaiting ≤ 3 min") == 2 and "\n" not in out
    assert out.endswith("\r\x1b[2K")


def test_off_a_terminal_plain_lines_come_every_thirty_seconds():
    stream, wall = io.StringIO(), FakeWall()
    progress = Progress(stream, live=False, wall=wall)
    wait, _ = record(clock=RealClock())
    progress.wait_started(wait)
    for second in range(0, 95, 5):
        _observe(progress, wait, wall, second)
    progress.wait_ended(wait, None)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and all(line.startswith("waiting ≤ 3 min") for line in lines)
    assert "\r" not in stream.getvalue()


def test_quiet_on_the_virtual_clock_unless_asked():
    for asked, expected_lines in ((False, 0), (True, 1)):
        stream, wall = io.StringIO(), FakeWall()
        progress = Progress(stream, live=False, on_virtual_clock=asked, wall=wall)
        wait, _ = record(clock=VirtualClock())
        progress.wait_started(wait)
        _observe(progress, wait, wall, 31)
        assert len(stream.getvalue().splitlines()) == expected_lines


def test_installed_it_follows_real_waits_and_never_can_be_asked_for():
    stream = io.StringIO()
    stop = install("always", stream)
    try:
        Poller(VirtualClock(), interval=10).hold(30)
    finally:
        stop()
    assert stream.getvalue() == ""  # the wait took no real time: nothing worth a line
    install("never", stream)()
