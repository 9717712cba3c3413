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

# Sent by a watch client on the virtual clock; its value is a feed id the client chose (one per stream).
SETTLE_HEADER = "X-Budspec-Settle"


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


class SettleTimeout(RuntimeError):
    """Virtual time cannot move: a watch client has not handled what it was sent."""


@dataclass
class _Feed:
    sent: int = 0
    handled: int = 0


class VirtualClock:
    """Deterministic time that advances only through `advance_until` (and its wrappers).

    Callbacks run in the thread that advances the clock, one at a time, in
    (due time, scheduling order). The lock is never held while a callback
    runs, so callbacks and other threads (HTTP handlers) may schedule freely.

    The settle protocol keeps time still while a watch event is in flight: the
    API server counts each event it queues for a watch stream that carries
    `SETTLE_HEADER` (`feed_sent`), the watch client counts each one it has
    handled (`feed_handled`), and the clock runs no timer until every open
    feed has handled what it was sent (`settle`).
    """

    is_virtual = True

    def __init__(self, start: float = VIRTUAL_EPOCH):
        self._now = float(start)
        self._timers: list[_Timer] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._advancing = threading.Lock()
        self._feeds: dict[str, _Feed] = {}
        self._settled = threading.Condition(threading.Lock())

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> _Timer:
        with self._lock:
            timer = _Timer(max(when, self._now), next(self._seq), callback)
            heapq.heappush(self._timers, timer)
            return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        return self.call_at(self._now + max(0.0, delay), callback)

    # -- the settle protocol ---------------------------------------------------
    def feed_sent(self, feed_id: str, n: int = 1) -> None:
        """The API server queued `n` events for the watch stream `feed_id`."""
        with self._settled:
            self._feeds.setdefault(feed_id, _Feed()).sent += n

    def feed_handled(self, feed_id: str, n: int = 1) -> None:
        """The watch client of `feed_id` handled `n` events (a feed already closed is ignored)."""
        with self._settled:
            feed = self._feeds.get(feed_id)
            if feed is None:
                return
            feed.handled += n
            if feed.handled >= feed.sent:
                self._settled.notify_all()

    def feed_closed(self, feed_id: str) -> None:
        """The stream `feed_id` ended (either side may say so, more than once): stop waiting for it."""
        with self._settled:
            if self._feeds.pop(feed_id, None) is not None:
                self._settled.notify_all()

    def unsettled(self) -> dict[str, tuple[int, int]]:
        """Open feeds with events not yet handled: feed id -> (sent, handled)."""
        with self._settled:
            return self._unsettled()

    def _unsettled(self) -> dict[str, tuple[int, int]]:
        return {fid: (f.sent, f.handled) for fid, f in self._feeds.items() if f.handled < f.sent}

    def settle(self, timeout: float = 30.0) -> None:
        """Block (real time, at most `timeout` s) until every open feed has handled what it was sent."""
        deadline = time.monotonic() + timeout
        with self._settled:
            while stuck := self._unsettled():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SettleTimeout(
                        f"virtual time cannot move: after {timeout:g} s these watch feeds still have events "
                        "their client has not handled: "
                        + ", ".join(f"{fid} (sent {sent}, handled {handled})"
                                    for fid, (sent, handled) in sorted(stuck.items()))
                        + " (a watch client on the virtual clock must call feed_handled after each event "
                          "and feed_closed when it stops)")
                self._settled.wait(remaining)

    # -- moving time -------------------------------------------------------------
    def advance_until(self, target: float, stop: Callable[[], bool] | None = None) -> bool:
        """Run due timers in time order up to `target`, settling before each and before returning.

        `stop()` is asked once settled at the start and after the timers of each instant have run:
        when it says True, time stays at that instant and this returns True. Otherwise time ends at
        `target` (never moves backwards) and this returns False.
        """
        with self._advancing:
            self.settle()
            if stop is not None and stop():
                return True
            while (timer := self._pop_due(target)) is not None:
                self._now = max(self._now, timer.when)
                timer.callback()
                self.settle()
                if stop is not None and not self._due_at(self._now) and stop():
                    return True
            self._now = max(self._now, target)
            self.settle()
            return False

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, running every timer that falls due."""
        self.advance_until(self._now + max(0.0, seconds))

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

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

    def _due_at(self, instant: float) -> bool:
        with self._lock:
            while self._timers and self._timers[0].cancelled:
                heapq.heappop(self._timers)
            return bool(self._timers) and self._timers[0].when <= instant


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
