"""Progress of long waits: one live line on a terminal, plain periodic lines otherwise.

    waiting ≤ 3 min for the desired replicas to fall to at most 2: now 4, 01:12 elapsed

A wait observer (`support.waiting.add_observer`). It writes to the real stderr,
past behave's output capture, and says nothing for waits that end quickly. On
the embedded cluster's virtual clock a wait takes little real time, so it is
quiet there unless asked (`-D progress=always`).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable, TextIO

from support.waiting import WaitRecord, WaitTimeout, add_observer

MODES = ("auto", "always", "never")
LIVE_AFTER = 1.0      # real seconds a wait runs before a live line appears
LIVE_EVERY = 0.2      # real seconds between redraws of the live line
PLAIN_EVERY = 30.0    # real seconds between plain lines
VALUE_WIDTH = 60
_CLEAR = "\r\x1b[2K"


def clock_time(seconds: float) -> str:
    """75 -> '01:15'; 3725 -> '1:02:05'."""
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def limit_text(seconds: float) -> str:
    """180 -> '3 min'; 90 -> '90 s'; 5400 -> '1.5 h'."""
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:.0f} s"


def describe(wait: WaitRecord) -> str:
    """One line saying what a wait waits for, what it saw last and how long it has run."""
    elapsed = clock_time(wait.elapsed())
    if wait.kind == "hold":
        return f"letting {limit_text(wait.limit)} of cluster time pass: {elapsed} elapsed"
    if wait.seen:
        now = f"now {_short(wait.last_value)}"
    elif wait.last_error is not None:
        now = f"nothing seen yet (last error: {_short(wait.last_error)})"
    else:
        now = "nothing seen yet"
    if wait.kind == "consistently":
        return f"checking {wait.what} stays {wait.expected()} for {limit_text(wait.limit)}: {now}, " \
               f"{elapsed} of {clock_time(wait.limit)}"
    return f"waiting ≤ {limit_text(wait.limit)} for {wait.what}: {now}, {elapsed} elapsed"


def _short(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= VALUE_WIDTH else text[:VALUE_WIDTH - 1] + "…"


@dataclass
class Progress:
    """The wait observer. `live` redraws one line in place; otherwise a plain line every PLAIN_EVERY s."""

    stream: TextIO
    live: bool
    on_virtual_clock: bool = False
    wall: Callable[[], float] = time.monotonic
    _started: float | None = None
    _last_line: float = 0.0
    _drawn: bool = False
    _quiet: bool = False

    def wait_started(self, wait: WaitRecord) -> None:
        self._clear()
        self._started = self._last_line = self.wall()
        self._quiet = bool(wait.clock is not None and wait.clock.is_virtual and not self.on_virtual_clock)

    def wait_observed(self, wait: WaitRecord) -> None:
        if self._quiet or self._started is None:
            return
        now = self.wall()
        if self.live and now - self._started >= LIVE_AFTER and now - self._last_line >= LIVE_EVERY:
            self._write(f"{_CLEAR}{describe(wait)}")
            self._drawn = True
        elif not self.live and now - self._last_line >= PLAIN_EVERY:
            self._write(describe(wait) + "\n")
        else:
            return
        self._last_line = now

    def wait_ended(self, wait: WaitRecord, failure: WaitTimeout | None) -> None:
        self._clear()
        self._started = None

    def _clear(self) -> None:
        if self._drawn:
            self._write(_CLEAR)
            self._drawn = False

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def install(mode: str, stream: TextIO | None = None) -> Callable[[], None]:
    """Start showing progress as `mode` says (auto, always, never); returns the function that stops it."""
    if mode == "never":
        return lambda: None
    stream = stream or sys.__stderr__
    live = bool(getattr(stream, "isatty", lambda: False)())
    return add_observer(Progress(stream, live=live, on_virtual_clock=mode == "always"))
