"""`watch=true`: chunked streams of watch events, as kube-apiserver serves them.

A stream registers a sink with the store (`Store.watch`), atomically with what it
starts from: the current objects as ADDED (no resourceVersion, or "0"), or the
retained changes after the given resourceVersion (410 Gone, as an ERROR event,
when they have left the history window). The sink runs under the store lock in
the writer's thread: it only filters (namespace, label and field selectors, with
the watch cache's ADDED/DELETED for objects entering or leaving a selector),
queues, counts the event for the settle protocol (`VirtualClock.feed_sent`, when
the request carries `SETTLE_HEADER`) and wakes the stream's thread through a pipe.
The stream's thread encodes and writes; it also notices a client that went away
(its socket turns readable at EOF) without polling.

Bookmarks (`allowWatchBookmarks`) come every `BOOKMARK_INTERVAL` seconds while the
cluster's resourceVersion has moved since the stream's last event or bookmark (the API
sends them at its discretion; one that repeats the last version tells the client
nothing, and through a virtual week of idle cluster they were most of the suite's work);
`timeoutSeconds` ends the stream. Both run on the cluster's clock.
"""

from __future__ import annotations

import collections
import json
import os
import select
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Callable, Protocol

from support.localcluster.access import ADDED, DELETED, MODIFIED
from support.localcluster.errors import ApiError
from support.localcluster.store import Change, Store

BOOKMARK = "BOOKMARK"
ERROR = "ERROR"
BOOKMARK_INTERVAL = 60.0
INITIAL_EVENTS_END = "k8s.io/initial-events-end"

Matches = Callable[[dict], bool]
Encode = Callable[[str, dict], bytes]  # (event type, object) -> one line of the stream
WriteChunk = Callable[[bytes], None]


class Timer(Protocol):
    def cancel(self) -> None: ...


class WatchClock(Protocol):
    """What a stream needs of the cluster's clock (a VirtualClock)."""

    is_virtual: bool

    def now(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer: ...

    def feed_sent(self, feed_id: str, n: int = 1) -> None: ...

    def feed_closed(self, feed_id: str) -> None: ...


@dataclass(frozen=True)
class WatchSpec:
    """One watch request, parsed."""

    kind: str
    api_version: str
    matches: Matches
    encode: Encode
    since: int | None = None  # None: start from the current objects
    initial_events: bool = True  # with since None: send the current objects as ADDED
    initial_events_end: bool = False  # sendInitialEvents=true: a bookmark marks their end
    bookmarks: bool = False
    timeout: float | None = None  # cluster seconds
    feed_id: str | None = None  # SETTLE_HEADER's value


def json_event(event_type: str, obj: dict) -> bytes:
    return b'{"type":"%s","object":%s}\n' % (event_type.encode(), json.dumps(obj, separators=(",", ":")).encode())


def selected(change: Change, matches: Matches) -> tuple[str, dict] | None:
    """The event a selective watcher sees for `change`, as the watch cache decides it (None: nothing)."""
    now = change.type != DELETED and matches(change.obj)
    before = matches(change.old) if change.old is not None else (change.type == DELETED and matches(change.obj))
    if now and before:
        return MODIFIED, change.obj
    if now:
        return ADDED, change.obj
    if before:
        old = change.old if change.old is not None else change.obj
        return DELETED, {**old, "metadata": {**old["metadata"], "resourceVersion": str(change.rv)}}
    return None


class _End:
    """Queued to end a stream."""


_END = _End()


class WatchStream:
    """One open watch: events queued under the store lock, written by the request's thread."""

    def __init__(self, spec: WatchSpec, store: Store, clock: WatchClock, on_close: Callable[["WatchStream"], None]):
        self.spec, self._store, self._clock, self._on_close = spec, store, clock, on_close
        self._queue: collections.deque[tuple[str, dict] | _End] = collections.deque()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._timers: list[Timer] = []
        self._state_lock = threading.Lock()  # guards _closed: nothing is counted or woken after it
        self._closed = False
        self._settling = bool(spec.feed_id) and getattr(clock, "is_virtual", False)
        self._told: int | None = None  # the last resourceVersion an event or bookmark gave the client

    # -- producing (writer threads, under the store lock) ------------------------
    def open(self) -> None:
        """Register with the store and queue the initial events (or a 410 ERROR). Raises nothing."""
        try:
            start = self._store.watch(self.spec.kind, self.spec.since, self._on_change)
        except ApiError as error:
            self._push(ERROR, error.status())
            self._push_end()
            return
        initial = [(ADDED, o) for o in start.objects if self.spec.initial_events and self.spec.matches(o)]
        initial += [event for c in start.changes if (event := selected(c, self.spec.matches)) is not None]
        for event_type, obj in initial:
            self._push(event_type, obj)
        if self.spec.initial_events_end:
            self._push(BOOKMARK, self._bookmark_object(start.rv, {INITIAL_EVENTS_END: "true"}))
        if self.spec.bookmarks:
            self._schedule(BOOKMARK_INTERVAL, self._bookmark)
        if self.spec.timeout is not None:
            self._schedule(self.spec.timeout, self._push_end)

    def _on_change(self, change: Change) -> None:
        event = selected(change, self.spec.matches)
        if event is not None:
            self._told = change.rv
            self._push(*event)

    def _bookmark(self) -> None:
        self._store.under_lock(self._bookmark_if_moved)
        self._schedule(BOOKMARK_INTERVAL, self._bookmark)

    def _bookmark_if_moved(self, rv: int) -> None:
        if rv != self._told:
            self._told = rv
            self._push(BOOKMARK, self._bookmark_object(rv))

    def _bookmark_object(self, rv: int, annotations: dict | None = None) -> dict:
        meta: dict = {"resourceVersion": str(rv)}
        if annotations:
            meta["annotations"] = annotations
        return {"kind": self.spec.kind, "apiVersion": self.spec.api_version, "metadata": meta}

    def _push(self, event_type: str, obj: dict) -> None:
        self._enqueue((event_type, obj))

    def _push_end(self) -> None:
        self._enqueue(_END)

    def close(self) -> None:
        """End the stream from outside (server shutdown)."""
        self._push_end()

    def _enqueue(self, item: tuple[str, dict] | _End) -> None:
        with self._state_lock:
            if self._closed:
                return
            self._queue.append(item)
            if self._settling and not isinstance(item, _End):
                self._clock.feed_sent(self.spec.feed_id)
            if len(self._queue) > 1:
                return  # the consumer has not taken the item before this one: it takes this one too
            try:
                os.write(self._wake_w, b"!")
            except BlockingIOError:
                pass  # the pipe is full: a wake-up is pending anyway

    def _schedule(self, delay: float, action: Callable[[], None]) -> None:
        with self._state_lock:
            if not self._closed:
                self._timers.append(self._clock.call_later(delay, action))

    # -- consuming (the request's thread) -----------------------------------------
    def serve(self, connection: socket.socket, write: WriteChunk) -> bool:
        """Write events until the stream ends (True) or the client goes away (False)."""
        poller = select.poll()
        poller.register(connection, select.POLLIN | select.POLLPRI)
        poller.register(self._wake_r, select.POLLIN)
        client = connection.fileno()
        try:
            while True:
                ready = {fd for fd, _ in poller.poll()}
                if client in ready and _client_gone(connection):
                    return False
                if self._wake_r in ready:
                    _drain(self._wake_r)
                if self._write_queued(write):
                    return True
        except (OSError, ValueError):
            return False
        finally:
            self.finish()

    def _write_queued(self, write: WriteChunk) -> bool:
        """Write what is queued as one chunk (one TLS record for a burst); True once the end is reached."""
        events = []
        ended = False
        while self._queue:
            item = self._queue.popleft()
            if isinstance(item, _End):
                ended = True
                break
            events.append(self.spec.encode(*item))
        if events:
            write(b"".join(events))
        return ended

    def finish(self) -> None:
        """Unregister and release (the end of `serve`; call it directly if `serve` never runs)."""
        self._store.unwatch(self.spec.kind, self._on_change)
        with self._state_lock:
            self._closed = True
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
        if self._settling:
            self._clock.feed_closed(self.spec.feed_id)
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._on_close(self)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def _client_gone(connection: socket.socket) -> bool:
    """The client's side turned readable: EOF (or an error) means it went away; stray bytes are ignored."""
    timeout = connection.gettimeout()
    connection.settimeout(0.0)
    try:
        return not connection.recv(4096)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True
    finally:
        connection.settimeout(timeout)


class Watches:
    """The open streams of one API server, so that stopping the server ends them."""

    def __init__(self, store: Store, clock: WatchClock):
        self._store, self._clock = store, clock
        self._open: set[WatchStream] = set()
        self._lock = threading.Lock()

    def open(self, spec: WatchSpec) -> WatchStream:
        stream = WatchStream(spec, self._store, self._clock, self._forget)
        with self._lock:
            self._open.add(stream)
        stream.open()
        return stream

    def _forget(self, stream: WatchStream) -> None:
        with self._lock:
            self._open.discard(stream)

    def close_all(self) -> None:
        with self._lock:
            streams = list(self._open)
        for stream in streams:
            stream.close()

    def count(self) -> int:
        with self._lock:
            return len(self._open)

    def streams(self) -> list[WatchStream]:
        with self._lock:
            return list(self._open)
