"""Clocks: the one notion of time every wait, mock and controller shares.

`RealClock` is wall time, for real clusters. `VirtualClock` is the embedded
cluster's time: it only moves when someone waits on it, and moving it runs
everything that falls due (reconcile ticks, pods becoming Ready) in time order,
so a 15-minute scenario runs in about a second and runs the same every time.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Protocol

# Monday 2026-01-05 10:00:00 UTC: a working-hours start, so seasonal buckets are meaningful.
VIRTUAL_EPOCH = datetime(2026, 1, 5, 10, 0, 0, tzinfo=timezone.utc).timestamp()


class Clock(Protocol):
    """What waiting, mocks and controllers need of time."""

    is_virtual: bool

    def now(self) -> float:
        """Seconds since the Unix epoch."""

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass (on a virtual clock: run what falls due)."""


class RealClock:
    is_virtual = False

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass(order=True)
class _Timer:
    when: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class VirtualClock:
    """Deterministic time that advances only through `sleep`/`advance`.

    Callbacks run in the thread that advances the clock, one at a time, in
    (due time, scheduling order). The lock is never held while a callback
    runs, so callbacks and other threads (HTTP handlers) may schedule freely.
    """

    is_virtual = True

    def __init__(self, start: float = VIRTUAL_EPOCH):
        self._now = float(start)
        self._timers: list[_Timer] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._advancing = threading.Lock()

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> _Timer:
        with self._lock:
            timer = _Timer(max(when, self._now), next(self._seq), callback)
            heapq.heappush(self._timers, timer)
            return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        return self.call_at(self._now + max(0.0, delay), callback)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, running every timer that falls due."""
        with self._advancing:
            target = self._now + max(0.0, seconds)
            while (timer := self._pop_due(target)) is not None:
                self._now = max(self._now, timer.when)
                timer.callback()
            self._now = target

    def run_due(self) -> None:
        """Run what is due now without moving time (e.g. work scheduled at 'now')."""
        self.advance(0.0)

    def pending(self) -> int:
        with self._lock:
            return sum(1 for t in self._timers if not t.cancelled)

    def _pop_due(self, target: float) -> _Timer | None:
        with self._lock:
            while self._timers and self._timers[0].cancelled:
                heapq.heappop(self._timers)
            if self._timers and self._timers[0].when <= target:
                return heapq.heappop(self._timers)
            return None


class ClockDriver:
    """Drives a VirtualClock in (scaled) real time, for `serve` and demos."""

    def __init__(self, clock: VirtualClock, speed: float = 1.0, step: float = 0.05):
        self._clock, self._speed, self._step = clock, speed, step
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clock-driver", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self._step):
            current = time.monotonic()
            self._clock.advance((current - last) * self._speed)
            last = current


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def parse_rfc3339(text: str) -> float:
    """'2026-01-05T10:00:00Z' -> epoch seconds."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def rfc3339(ts: float) -> str:
    """Kubernetes timestamps: second precision, UTC, 'Z'."""
    return utc(ts).strftime("%Y-%m-%dT%H:%M:%SZ")
