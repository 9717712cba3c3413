"""Poller.eventually / consistently / hold on a virtual clock: timing and failure messages."""

import pytest
from hamcrest import assert_that, equal_to, greater_than

from support.clock import VirtualClock
from support.waiting import Poller, WaitTimeout


def counter_probe(clock, start, step_every, step=1):
    """A value that grows by `step` every `step_every` seconds of clock time."""
    t0 = clock.now()
    return lambda: start + int((clock.now() - t0) // step_every) * step


def test_eventually_returns_within_one_interval_of_the_condition():
    clock = VirtualClock()
    t0 = clock.now()
    value = Poller(clock, interval=1.0).eventually(counter_probe(clock, 0, 10), greater_than(2),
                                                    within=60, what="the counter")
    assert value == 3
    assert 30 <= clock.now() - t0 <= 31


def test_eventually_timeout_names_expectation_last_value_and_last_error():
    clock = VirtualClock()
    calls = {"n": 0}

    def flaky():
        calls["n"] += 1
        if calls["n"] % 2:
            raise ConnectionError("API server went away")
        return 1

    with pytest.raises(WaitTimeout) as raised:
        Poller(clock, interval=5.0).eventually(flaky, greater_than(3), within=30, what="the desired replicas")
    message = str(raised.value)
    assert "Timed out after 30 s waiting for the desired replicas" in message
    assert "a value greater than <3>" in message
    assert "was <1>" in message
    assert "ConnectionError: API server went away" in message


def test_eventually_deadline_is_stretched_by_time_scale():
    clock = VirtualClock()
    t0 = clock.now()
    with pytest.raises(WaitTimeout):
        Poller(clock, interval=1.0, time_scale=2.0).eventually(lambda: 0, equal_to(1), within=10, what="x")
    assert clock.now() - t0 == pytest.approx(20)


def test_consistently_fails_on_the_first_bad_observation_with_when():
    clock = VirtualClock()
    with pytest.raises(WaitTimeout) as raised:
        Poller(clock).consistently(counter_probe(clock, 1, 15), equal_to(1), for_=60, what="the desired replicas")
    message = str(raised.value)
    assert "to stay <1> for 60 s, but after 15 s it was <2>" in message


def test_consistently_passes_and_returns_last_value():
    clock = VirtualClock()
    assert Poller(clock).consistently(lambda: 4, equal_to(4), for_=30, what="x") == 4


def test_consistently_without_any_observation_fails():
    clock = VirtualClock()

    def broken():
        raise LookupError("no status yet")

    with pytest.raises(WaitTimeout) as raised:
        Poller(clock).consistently(broken, equal_to(1), for_=10, what="the desired replicas")
    assert "Could not observe the desired replicas once in 10 s" in str(raised.value)
    assert "LookupError: no status yet" in str(raised.value)


def test_duties_run_before_every_probe_and_during_hold():
    clock = VirtualClock()
    runs = []
    poller = Poller(clock, interval=2.0).with_duty(lambda: runs.append(clock.now()))
    poller.hold(10)
    assert len(runs) == 5
    poller.eventually(lambda: 1, equal_to(1), within=5, what="x")
    assert len(runs) == 6


def test_a_failing_duty_is_reported_as_the_last_error():
    clock = VirtualClock()

    def duty():
        raise RuntimeError("mock refused")

    with pytest.raises(WaitTimeout) as raised:
        Poller(clock).with_duty(duty).eventually(lambda: 0, equal_to(1), within=3, what="x")
    assert "RuntimeError: mock refused" in str(raised.value)


def test_a_duty_that_asserts_fails_the_wait_at_once():
    """An AssertionError from a duty is a verdict (e.g. a recorder that could not read), not a read to retry."""
    clock = VirtualClock()
    started = clock.now()

    def verdict():
        raise AssertionError("the recorder could not read the scaler")

    for wait in (lambda p: p.hold(60), lambda p: p.eventually(lambda: 0, equal_to(1), within=60, what="x"),
                 lambda p: p.consistently(lambda: 0, equal_to(0), for_=60, what="x")):
        with pytest.raises(AssertionError, match="the recorder could not read the scaler"):
            wait(Poller(clock, interval=2.0).with_duty(verdict))
    assert clock.now() - started <= 2.0


def test_virtual_clock_runs_timers_in_order_and_lets_callbacks_schedule():
    clock = VirtualClock()
    seen = []
    clock.call_later(5, lambda: seen.append(("a", clock.now())))
    clock.call_later(2, lambda: (seen.append(("b", clock.now())), clock.call_later(1, lambda: seen.append(("c", clock.now())))))
    t0 = clock.now()
    clock.advance(10)
    assert [(n, t - t0) for n, t in seen] == [("b", 2), ("c", 3), ("a", 5)]
    assert clock.now() - t0 == 10


class _Feed:
    """A stand-in for the namespace feed: the clock's timers change it."""

    def __init__(self):
        self.changes = 0
        self.pod_changes = 0
        self.down = None  # what trouble() says: None while every watch is current

    def change(self, pods=False):
        self.changes += 1
        self.pod_changes += int(pods)

    def wait_for_change(self, seen, timeout):
        raise AssertionError("a virtual-clock wait must not block in real time")

    def trouble(self):
        return self.down


def test_on_the_virtual_clock_a_fed_wait_probes_only_when_something_changed():
    clock, feed, probes = VirtualClock(), _Feed(), []
    t0 = clock.now()
    for at in (30, 70, 140):
        clock.call_later(at, feed.change)

    def probe():
        probes.append(clock.now() - t0)
        return feed.changes

    Poller(clock, interval=1.0).with_feed(feed).eventually(probe, equal_to(3), within=600, what="three changes")
    assert probes == [0, 30, 70, 140]


def test_pod_duties_run_when_pods_change_and_poll_while_they_report_unfinished_work():
    clock, feed, runs = VirtualClock(), _Feed(), []
    t0 = clock.now()
    clock.call_later(20, lambda: feed.change(pods=True))
    clock.call_later(50, lambda: feed.change(pods=False))

    def duty():
        runs.append(clock.now() - t0)
        return len(runs) >= 4  # "a pod is not listening yet" for the first three runs

    Poller(clock, interval=2.0).with_feed(feed).with_duty(duty).hold(100)
    assert runs == [20, 22, 24, 26], "pods changed at 20; polled every 2 s until done; 50 was no pod change"


def test_while_a_watch_is_down_a_fed_wait_polls_runs_its_pod_duties_and_its_timeout_names_the_watch_error():
    clock, feed, probes, runs = VirtualClock(), _Feed(), [], []
    feed.down = "the watch of pods is down, its cache may be stale (last error: ApiException 429: slow down)"
    t0 = clock.now()

    def probe():
        probes.append(clock.now() - t0)
        return "stale"

    with pytest.raises(WaitTimeout) as raised:
        Poller(clock, interval=5.0).with_feed(feed).with_duty(lambda: runs.append(1)).eventually(
            probe, equal_to("fresh"), within=20, what="the fresh value")
    assert probes == [0, 5, 10, 15, 20], "nothing wakes a wait whose watch is down: it polls every interval"
    assert len(runs) == 5, "pods may change unseen while the watch is down: the pod duty runs on every poll"
    assert "watch:      the watch of pods is down" in str(raised.value)
    assert "last error: ApiException 429: slow down" in str(raised.value)


def test_a_duty_failing_on_every_run_of_a_hold_fails_it_with_its_last_error():
    clock = VirtualClock()

    def broken():
        raise ConnectionError("pod proxy answered 502")

    with pytest.raises(Exception) as raised:
        Poller(clock, interval=5.0).with_duty(broken).hold(30)
    assert "failed every time it ran" in str(raised.value)
    assert "ConnectionError: pod proxy answered 502" in str(raised.value)


def test_a_duty_that_recovers_does_not_fail_the_hold():
    clock, calls = VirtualClock(), []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("not yet")

    Poller(clock, interval=5.0).with_duty(flaky).hold(30)
    assert len(calls) == 6


def test_hold_until_an_instant_absorbs_the_time_the_caller_spent():
    clock = VirtualClock()
    t0, poller = clock.now(), Poller(clock, interval=5.0)
    clock.advance(3)
    poller.hold_until(t0 + 10)
    assert_that(clock.now() - t0, equal_to(10), "a hold until 10 s after the start, begun at 3 s, ends at 10 s")
    clock.advance(14)
    poller.hold_until(t0 + 20)
    assert_that(clock.now() - t0, equal_to(24), "a hold until an instant already past returns at once")


class _Journal:
    """A wait observer that writes down what it is told."""

    def __init__(self):
        self.lines = []

    def wait_started(self, wait):
        self.lines.append(("started", wait.kind, wait.what, wait.expected(), wait.limit))

    def wait_observed(self, wait):
        self.lines.append(("observed", wait.last_value if wait.seen else None, wait.elapsed()))

    def wait_ended(self, wait, failure):
        self.lines.append(("ended", None if failure is None else str(failure).splitlines()[0]))


def test_observers_see_a_wait_start_each_observation_and_its_end():
    from support.waiting import add_observer
    clock, journal = VirtualClock(), _Journal()
    stop = add_observer(journal)
    try:
        Poller(clock, interval=10.0).eventually(counter_probe(clock, 0, 10), greater_than(1), within=60,
                                                what="the counter")
    finally:
        stop()
    assert journal.lines == [("started", "eventually", "the counter", "a value greater than <1>", 60),
                             ("observed", 0, 0.0), ("observed", 1, 10.0), ("observed", 2, 20.0), ("ended", None)]


def test_observers_are_told_of_a_timeout_with_its_message_and_a_raising_observer_breaks_nothing():
    from support.waiting import add_observer

    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("observer bug")

    clock, journal = VirtualClock(), _Journal()
    stops = [add_observer(Broken()), add_observer(journal)]
    try:
        with pytest.raises(WaitTimeout):
            Poller(clock).consistently(counter_probe(clock, 1, 15), equal_to(1), for_=60, what="the replicas")
        Poller(clock, interval=30.0).hold(60)
    finally:
        for stop in stops:
            stop()
    assert ("ended", "Expected the replicas to stay <1> for 60 s, but after 15 s it was <2>") in journal.lines
    assert journal.lines[-4:] == [("started", "hold", "cluster time to pass", "", 60),
                                  ("observed", None, 30.0), ("observed", None, 60.0), ("ended", None)]


def test_an_observer_stops_hearing_once_removed():
    from support.waiting import add_observer
    clock, journal = VirtualClock(), _Journal()
    add_observer(journal)()
    Poller(clock).hold(1)
    assert journal.lines == []
