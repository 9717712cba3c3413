"""The reconcile queue on the injected clock: one pending run per key, one worker.

As controller-runtime's rate-limited queue with `RequeueAfter`: adding a key
that is already waiting keeps the earlier of the two times. On a virtual clock
the runs are clock timers, so they happen in the thread that advances time, in
time order, deterministically. On a real clock one worker thread runs them.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from typing import Callable, Hashable


class WorkQueue:
    def __init__(self, clock, work: Callable[[Hashable], None]):
        self._clock, self._work = clock, work
        self._virtual = bool(getattr(clock, "is_virtual", False))
        self._lock = threading.Condition()
        self._due: dict[Hashable, float] = {}
        self._timers: dict[Hashable, object] = {}
        self._heap: list[tuple[float, int, Hashable]] = []
        self._seq = itertools.count()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self._virtual:
            self._thread = threading.Thread(target=self._worker, name="reconcile-worker", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for timer in self._timers.values():
                timer.cancel()
            self._timers.clear()
            self._due.clear()
            self._lock.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def add(self, key: Hashable, delay: float = 0.0) -> None:
        """Run `key` after `delay` seconds of clock time, unless it is already due sooner."""
        with self._lock:
            if self._stopped:
                return
            when = self._clock.now() + max(0.0, delay)
            if key in self._due and self._due[key] <= when:
                return
            self._due[key] = when
            if self._virtual:
                if key in self._timers:
                    self._timers[key].cancel()
                self._timers[key] = self._clock.call_at(when, lambda: self._run_virtual(key, when))
            else:
                heapq.heappush(self._heap, (when, next(self._seq), key))
                self._lock.notify_all()

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._due.pop(key, None)
            timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def _run_virtual(self, key: Hashable, when: float) -> None:
        with self._lock:
            if self._stopped or self._due.get(key) != when:
                return
            del self._due[key]
            self._timers.pop(key, None)
        self._work(key)

    def _worker(self) -> None:
        while True:
            with self._lock:
                while not self._stopped:
                    key = self._next_due()
                    if key is not None:
                        break
                    wait = self._heap[0][0] - self._clock.now() if self._heap else None
                    self._lock.wait(timeout=wait)
                if self._stopped:
                    return
            self._work(key)

    def _next_due(self) -> Hashable | None:
        while self._heap:
            when, _, key = self._heap[0]
            if self._due.get(key) != when:
                heapq.heappop(self._heap)  # superseded by an earlier add, or forgotten
                continue
            if when > self._clock.now():
                return None
            heapq.heappop(self._heap)
            del self._due[key]
            return key
        return None
