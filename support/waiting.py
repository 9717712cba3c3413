"""Waiting on a Clock: `eventually`, `consistently` and `hold`.

Every wait in the suite goes through here. A wait polls a probe and judges
each observation with a PyHamcrest matcher; a probe that raises is not an
observation (a failed read must not pass for "0 replicas"), but its error is
kept. A timeout says what was expected, what was last seen, and the last error.

Duties run before every probe: small idempotent jobs that must keep happening
while time passes, such as giving new inference pods the scenario's metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, TypeVar

from hamcrest.core.base_matcher import Matcher
from hamcrest.core.string_description import StringDescription

from support.clock import Clock

T = TypeVar("T")
Duty = Callable[[], None]

_NOTHING = object()


class WaitTimeout(AssertionError):
    """A wait ended without the expected observation (an assertion failure, not an error)."""


@dataclass
class _Record:
    started: float
    last_value: Any = _NOTHING
    last_value_at: float = 0.0
    last_error: BaseException | None = None
    last_error_at: float = 0.0
    polls: int = 0


@dataclass(frozen=True)
class Poller:
    """Polling options, e2e-framework style: `Poller(clock).with_interval(2).eventually(...)`."""

    clock: Clock
    interval: float = 1.0
    time_scale: float = 1.0
    duties: tuple[Duty, ...] = field(default=())

    def with_interval(self, seconds: float) -> "Poller":
        return replace(self, interval=seconds)

    def with_time_scale(self, factor: float) -> "Poller":
        return replace(self, time_scale=factor)

    def with_duty(self, duty: Duty) -> "Poller":
        return replace(self, duties=self.duties + (duty,))

    def eventually(self, probe: Callable[[], T], matcher: Matcher, *, within: float, what: str) -> T:
        """Poll until `matcher` accepts the probe's value; deadline `within` × time_scale."""
        deadline = within * self.time_scale
        record = _Record(started=self.clock.now())
        while True:
            self._run_duties(record)
            value = self._observe(probe, record)
            if value is not _NOTHING and matcher.matches(value):
                return value
            elapsed = self.clock.now() - record.started
            if elapsed >= deadline:
                raise WaitTimeout(_timeout_message(what, matcher, deadline, record))
            self.clock.sleep(min(self.interval, deadline - elapsed))

    def consistently(self, probe: Callable[[], T], matcher: Matcher, *, for_: float, what: str) -> T:
        """Poll for `for_` seconds; every observation must satisfy `matcher`."""
        record = _Record(started=self.clock.now())
        while True:
            self._run_duties(record)
            value = self._observe(probe, record)
            if value is not _NOTHING and not matcher.matches(value):
                raise WaitTimeout(_broken_message(what, matcher, for_, record, value))
            elapsed = self.clock.now() - record.started
            if elapsed >= for_:
                if record.last_value is _NOTHING:
                    raise WaitTimeout(_never_seen_message(what, matcher, for_, record))
                return record.last_value
            self.clock.sleep(min(self.interval, for_ - elapsed))

    def hold(self, for_: float) -> None:
        """Let `for_` seconds of cluster time pass while the duties keep running."""
        started = self.clock.now()
        record = _Record(started=started)
        while (remaining := for_ - (self.clock.now() - started)) > 0:
            self.clock.sleep(min(self.interval, remaining))
            self._run_duties(record)

    def _observe(self, probe: Callable[[], Any], record: _Record) -> Any:
        record.polls += 1
        try:
            value = probe()
        except Exception as error:  # a failed read is not an observation
            record.last_error, record.last_error_at = error, self.clock.now()
            return _NOTHING
        record.last_value, record.last_value_at = value, self.clock.now()
        return value

    def _run_duties(self, record: _Record) -> None:
        for duty in self.duties:
            try:
                duty()
            except Exception as error:
                record.last_error, record.last_error_at = error, self.clock.now()


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
