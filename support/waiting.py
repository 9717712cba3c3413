"""Waiting on a Clock: `eventually`, `consistently` and `hold`, woken by watch events.

Every wait in the suite goes through here. A wait probes and judges each
observation with a PyHamcrest matcher; a probe that raises is not an
observation (a failed read must not pass for "0 replicas"), but its error is
kept. A timeout says what was expected, what was last seen, and the last error.

With a `Feed` (the scenario namespace's watches) a wait probes again only when
something it watches changed: on a virtual clock through
`advance_until(deadline, stop=changed)`, so no probe runs in a tick where
nothing changed; on a real clock within moments of a change, and at least
every `interval` as a fallback. Without a feed it polls every `interval`, and
so it does while the feed says a watch is down (`trouble()`): then nothing
wakes it, its reads go to the API, its pod duties run on every poll, and a
timeout names the feed's trouble with the watch's last error.

Duties run before a probe: small idempotent jobs that must keep happening
while time passes. A pod duty (mock replay, shared demand) runs when pods
changed, a change duty (a recorder) on every change. A duty that reports it
is not done (a pod not yet listening) makes the wait poll until it is. A duty
failing on every run of a `hold` fails the step with its last error. A duty
that raises an AssertionError (e.g. a recorder whose reads failed too often)
fails the wait at once: that is a verdict, not a read to retry.

Observers (`add_observer`) are told when a wait starts, after each observation
and when it ends; progress lines use them. An observer that raises never
breaks a wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Protocol, TypeVar

from hamcrest.core.base_matcher import Matcher
from hamcrest.core.string_description import StringDescription

from support.clock import Clock

T = TypeVar("T")
Duty = Callable[[], "bool | None"]  # returns False while it has work it could not do yet
ON_PODS, ON_CHANGES = "pods", "changes"

_NOTHING = object()


class WaitTimeout(AssertionError):
    """A wait ended without the expected observation (an assertion failure, not an error)."""


class DutyFailed(RuntimeError):
    """A duty of a wait failed every time it ran; the message carries its last error."""


class Feed(Protocol):
    changes: int
    pod_changes: int

    def wait_for_change(self, seen: int, timeout: float) -> bool: ...

    def trouble(self) -> str | None: ...  # None while every watch is current, else what is down and why


@dataclass
class _Record:
    """One wait in progress; observers read it (see `WaitObserver`)."""

    started: float
    last_value: Any = _NOTHING
    last_value_at: float = 0.0
    last_error: BaseException | None = None
    last_error_at: float = 0.0
    polls: int = 0
    pods_seen: int | None = None
    duty_runs: dict = field(default_factory=dict)      # duty -> runs
    duty_failures: dict = field(default_factory=dict)  # duty -> (failures, last error)
    pending: bool = False
    feed_trouble: str | None = None   # the feed's trouble at the last observation
    kind: str = "eventually"          # "eventually" | "consistently" | "hold"
    what: str = ""
    limit: float = 0.0                # seconds of cluster time the wait may take
    matcher: Matcher | None = None
    clock: Clock | None = None

    @property
    def seen(self) -> bool:
        return self.last_value is not _NOTHING

    def expected(self) -> str:
        return "" if self.matcher is None else _describe(self.matcher)

    def elapsed(self) -> float:
        return 0.0 if self.clock is None else self.clock.now() - self.started


WaitRecord = _Record  # the name observers know it by


class WaitObserver(Protocol):
    def wait_started(self, wait: _Record) -> None: ...
    def wait_observed(self, wait: _Record) -> None: ...
    def wait_ended(self, wait: _Record, failure: "WaitTimeout | None") -> None: ...


_observers: list[WaitObserver] = []


def add_observer(observer: WaitObserver) -> Callable[[], None]:
    """Tell `observer` about every wait from now on; returns the function that stops it."""
    _observers.append(observer)
    return lambda: _observers.remove(observer) if observer in _observers else None


def _notify(event: str, *args: Any) -> None:
    for observer in list(_observers):
        try:
            getattr(observer, event)(*args)
        except Exception:  # an observer (a progress line) must never break a wait
            pass


@dataclass(frozen=True)
class Poller:
    """Waiting options, e2e-framework style: `Poller(clock).with_interval(2).eventually(...)`."""

    clock: Clock
    interval: float = 1.0
    time_scale: float = 1.0
    duties: tuple[tuple[Duty, str], ...] = field(default=())
    feed: Feed | None = None

    def with_interval(self, seconds: float) -> "Poller":
        return replace(self, interval=seconds)

    def with_time_scale(self, factor: float) -> "Poller":
        return replace(self, time_scale=factor)

    def with_duty(self, duty: Duty, on: str = ON_PODS) -> "Poller":
        if on not in (ON_PODS, ON_CHANGES):
            raise ValueError(f"a duty runs on {ON_PODS!r} or {ON_CHANGES!r}, not {on!r}")
        return replace(self, duties=self.duties + ((duty, on),))

    def with_feed(self, feed: Feed | None) -> "Poller":
        return replace(self, feed=feed)

    def polling(self) -> "Poller":
        """For probes no watch covers (mock state): poll every `interval`."""
        return replace(self, feed=None)

    def eventually(self, probe: Callable[[], T], matcher: Matcher, *, within: float, what: str) -> T:
        """Probe until `matcher` accepts the probe's value; deadline `within` × time_scale."""
        deadline = within * self.time_scale
        record = self._start("eventually", what, deadline, matcher)
        while True:
            seen = self._seen()
            self._run_duties(record)
            value = self._observe(probe, record)
            if value is not _NOTHING and matcher.matches(value):
                return self._end(record, value)
            if self.clock.now() - record.started >= deadline:
                self._fail(record, _timeout_message(what, matcher, deadline, record))
            self._pause(record, record.started + deadline, seen)

    def consistently(self, probe: Callable[[], T], matcher: Matcher, *, for_: float, what: str) -> T:
        """Observe for `for_` seconds; every observation must satisfy `matcher`."""
        record = self._start("consistently", what, for_, matcher)
        while True:
            seen = self._seen()
            self._run_duties(record)
            value = self._observe(probe, record)
            if value is not _NOTHING and not matcher.matches(value):
                self._fail(record, _broken_message(what, matcher, for_, record, value))
            if self.clock.now() - record.started >= for_:
                if record.last_value is _NOTHING:
                    self._fail(record, _never_seen_message(what, matcher, for_, record))
                return self._end(record, record.last_value)
            self._pause(record, record.started + for_, seen)

    def hold(self, for_: float) -> None:
        """Let `for_` seconds of cluster time pass while the duties keep running."""
        record = self._start("hold", "cluster time to pass", for_, None)
        end = record.started + for_
        while self.clock.now() < end:
            seen = self._seen()
            self._pause(record, end, seen)
            self._run_duties(record)
            _notify("wait_observed", record)
        _notify("wait_ended", record, None)
        failing = [(duty, count, error) for duty, (count, error) in record.duty_failures.items()
                   if count == record.duty_runs.get(duty)]
        if failing:
            duty, count, error = failing[0]
            raise DutyFailed(f"{_duty_name(duty)} failed every time it ran while {for_:.0f} s passed "
                             f"({count} runs); last error: {type(error).__name__}: {error}") from error

    def hold_until(self, instant: float) -> None:
        """`hold` until the clock reads `instant` (at once if it is past): a ramp that sets a load
        and then holds until its next step's instant lasts as long as it says on any clock, where
        holding a fixed step after each set would add the sets' round trips to a real-time ramp."""
        self.hold(max(0.0, instant - self.clock.now()))

    # -- internals --------------------------------------------------------------------
    def _start(self, kind: str, what: str, limit: float, matcher: Matcher | None) -> _Record:
        record = _Record(started=self.clock.now(), kind=kind, what=what, limit=limit, matcher=matcher,
                         clock=self.clock)
        _notify("wait_started", record)
        return record

    @staticmethod
    def _end(record: _Record, value: T) -> T:
        _notify("wait_ended", record, None)
        return value

    @staticmethod
    def _fail(record: _Record, message: str):
        failure = WaitTimeout(message)
        _notify("wait_ended", record, failure)
        raise failure

    def _seen(self) -> int:
        return self.feed.changes if self.feed is not None else 0

    def _pause(self, record: _Record, until: float, seen: int) -> None:
        """Let time pass until `until`, or until what the wait watches changed."""
        remaining = until - self.clock.now()
        if remaining <= 0:
            return
        feed = self.feed
        if feed is None or record.pending or feed.trouble() is not None:
            step = min(self.interval, remaining)
            if feed is not None and self.clock.is_virtual:
                self.clock.advance_until(self.clock.now() + step, stop=lambda: feed.changes != seen)
            elif feed is not None:
                feed.wait_for_change(seen, step)
            else:
                self.clock.sleep(step)
        elif self.clock.is_virtual:
            self.clock.advance_until(until, stop=lambda: feed.changes != seen)
        else:
            feed.wait_for_change(seen, min(self.interval, remaining))

    def _observe(self, probe: Callable[[], Any], record: _Record) -> Any:
        record.polls += 1
        record.feed_trouble = self.feed.trouble() if self.feed is not None else None
        try:
            value = probe()
        except Exception as error:  # a failed read is not an observation
            record.last_error, record.last_error_at = error, self.clock.now()
            _notify("wait_observed", record)
            return _NOTHING
        record.last_value, record.last_value_at = value, self.clock.now()
        _notify("wait_observed", record)
        return value

    def _run_duties(self, record: _Record) -> None:
        pods = self.feed.pod_changes if self.feed is not None else None
        pods_changed = (pods is None or pods != record.pods_seen or record.pending
                        or self.feed.trouble() is not None)  # a watch is down: pods may have changed unseen
        record.pods_seen, record.pending = pods, False
        for duty, on in self.duties:
            if on == ON_PODS and not pods_changed:
                continue
            record.duty_runs[duty] = record.duty_runs.get(duty, 0) + 1
            try:
                if duty() is False:
                    record.pending = True
            except AssertionError:
                raise
            except Exception as error:
                record.last_error, record.last_error_at = error, self.clock.now()
                count, _ = record.duty_failures.get(duty, (0, None))
                record.duty_failures[duty] = (count + 1, error)
                record.pending = True


def _duty_name(duty: Duty) -> str:
    owner = getattr(duty, "__self__", None)
    name = getattr(duty, "__name__", repr(duty))
    return f"the waiting duty {type(owner).__name__}.{name}" if owner is not None else f"the waiting duty {name}"


def _describe(matcher: Matcher) -> str:
    description = StringDescription()
    matcher.describe_to(description)
    return str(description)


def _mismatch(matcher: Matcher, value: Any) -> str:
    description = StringDescription()
    matcher.describe_mismatch(value, description)
    return str(description)


def _last_lines(matcher: Matcher, record: _Record) -> str:
    lines = []
    if record.last_value is _NOTHING:
        lines.append("  last seen:  nothing (no successful observation)")
    else:
        at = record.last_value_at - record.started
        lines.append(f"  last seen:  {_mismatch(matcher, record.last_value)} (after {at:.0f} s)")
    if record.last_error is None:
        lines.append("  last error: none")
    else:
        at = record.last_error_at - record.started
        lines.append(f"  last error: {type(record.last_error).__name__}: {record.last_error} (after {at:.0f} s)")
    if record.feed_trouble is not None:
        lines.append(f"  watch:      {record.feed_trouble}")
    lines.append(f"  polls:      {record.polls}")
    return "\n".join(lines)


def _timeout_message(what: str, matcher: Matcher, deadline: float, record: _Record) -> str:
    return (f"Timed out after {deadline:.0f} s waiting for {what}\n"
            f"  expected:   {_describe(matcher)}\n{_last_lines(matcher, record)}")


def _broken_message(what: str, matcher: Matcher, for_: float, record: _Record, value: Any) -> str:
    at = record.last_value_at - record.started
    return (f"Expected {what} to stay {_describe(matcher)} for {for_:.0f} s, "
            f"but after {at:.0f} s it {_mismatch(matcher, value)}\n{_last_lines(matcher, record)}")


def _never_seen_message(what: str, matcher: Matcher, for_: float, record: _Record) -> str:
    return (f"Could not observe {what} once in {for_:.0f} s "
            f"(expected it to stay {_describe(matcher)})\n{_last_lines(matcher, record)}")
