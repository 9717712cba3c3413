"""Informers: a watch-fed cache of one kind, as client-go's shared informers are.

List once, then watch from the list's resourceVersion, with bookmarks unless
asked not to; a stream that ends is resumed from the last version seen; 410
Gone (the version is too old) lists again and tells the handlers what changed
meanwhile. While no stream is open (reconnecting, or the server refuses the
watch) the cache is not `current`: readers must not take it for the server's state, and
`trouble()` says why (the last error). On a virtual
clock every stream carries the settle header with a fresh feed id, and every
event is acknowledged to the clock after the handlers ran, so virtual time
does not move while an event is in flight (TEAM.md, the settle protocol).
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Callable, Iterable

from kubernetes import watch as k8s_watch
from kubernetes.client.exceptions import ApiException

from support.clock import SETTLE_HEADER
from support.kube.api import Kind, KubeApi, error_message

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
WATCH_SECONDS = 3600  # the server ends a stream after this (cluster time); the informer resumes it
RETRY_SECONDS = 1.0  # real-time pause before reconnecting after an error
POLL_SECONDS = 1.0  # a server that cannot watch (405) is listed this often, on the clock
Handler = Callable[[str, dict, "dict | None"], None]  # (event, object, previous object or None)
StateHandler = Callable[[bool], None]  # told True when the cache follows the server again, False when it stops
_feed_ids = itertools.count(1)


def key_of(obj: dict) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace") or "", meta["name"]


def settles(clock) -> bool:
    return bool(getattr(clock, "is_virtual", False))


class Informer:
    def __init__(self, api: KubeApi, kind: Kind, clock, *, namespace: str | None = None,
                 label_selector: str | None = None, name: str = "", bookmarks: bool = True):
        self._api, self.kind, self._clock = api, kind, clock
        self._namespace, self._selector, self._bookmarks = namespace, label_selector, bookmarks
        self.name = name or kind.plural
        self._cache: dict[tuple[str, str], dict] = {}
        self._lock = threading.RLock()
        self._handlers: list[Handler] = []
        self._resource_version = ""
        self._stopped = threading.Event()
        self._connected = threading.Event()
        self._feed: str | None = None
        self._watch = k8s_watch.Watch()  # one per informer: each Watch() builds an ApiClient and reads proxy settings
        self._thread: threading.Thread | None = None
        self.changes = 0  # bumped on every change of the cache
        self.last_error: BaseException | None = None
        self._current = False  # a stream is open (or the kind is listed on the clock): the cache follows the server
        self._down_error: BaseException | None = None  # the error since the cache stopped following, if any
        self._state_handlers: list[StateHandler] = []

    # -- use ------------------------------------------------------------------------
    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def add_state_handler(self, handler: StateHandler) -> None:
        self._state_handlers.append(handler)

    @property
    def current(self) -> bool:
        """The cache follows the server: a watch stream is open, or the kind is listed on the clock."""
        return self._current

    def trouble(self) -> str | None:
        """Why the cache is not current (None when it is): the watch is down, with its last error."""
        if self._current:
            return None
        error = self._down_error
        why = f"last error: {describe_error(error)}" if error is not None else "no stream open (reconnecting)"
        return f"the watch of {self.kind.plural} is down, its cache may be stale ({why})"

    def get(self, namespace: str | None, name: str) -> dict | None:
        with self._lock:
            return self._cache.get((namespace or "", name))

    def list(self, namespace: str | None = None, labels: dict[str, str] | None = None) -> list[dict]:
        with self._lock:
            items = list(self._cache.values())
        if namespace is not None:
            items = [o for o in items if o["metadata"].get("namespace") == namespace]
        if labels:
            items = [o for o in items if _matches(o, labels)]
        return items

    # -- lifecycle --------------------------------------------------------------------
    def start(self, connect_timeout: float = 30.0, *, wait_for_kind: bool = False) -> "Informer":
        """List, then watch on a thread. A kind the server does not serve (404) raises, or with
        `wait_for_kind` is listed again every RETRY_SECONDS until it is (a controller started before its CRD)."""
        try:
            self._relist(notify=True)
        except ApiException as error:
            if not (wait_for_kind and error.status == 404):
                raise
            self.last_error = error
            self._thread = threading.Thread(target=self._wait_then_run, name=f"informer-{self.name}", daemon=True)
            self._thread.start()
            return self
        self._thread = threading.Thread(target=self._run, name=f"informer-{self.name}", daemon=True)
        self._thread.start()
        if not self._connected.wait(connect_timeout) and self.last_error is not None:
            raise RuntimeError(f"cannot watch {self.kind.plural}: {self.last_error}")
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._watch.stop()
        feed = self._feed
        if feed is not None:
            self._clock.feed_closed(feed)  # whatever is still in flight on it will not be handled
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    # -- list and watch ----------------------------------------------------------------
    def _relist(self, notify: bool) -> None:
        listed = self._api.list(self.kind, self._namespace, label_selector=self._selector)
        fresh = {key_of(o): _with_kind(o, self.kind) for o in listed.get("items") or []}
        with self._lock:
            old, self._cache = self._cache, fresh
            self._resource_version = (listed.get("metadata") or {}).get("resourceVersion", "")
            self.changes += 1
        if not notify:
            return
        for key, obj in fresh.items():
            before = old.get(key)
            if before is None:
                self._notify(ADDED, obj, None)
            elif before["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self._notify(MODIFIED, obj, before)
        for key, obj in old.items():
            if key not in fresh:
                self._notify(DELETED, obj, obj)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._stream_once()
            except ApiException as error:
                if error.status == 410:
                    self._relist_quietly()
                    continue
                if error.status == 405:  # no watch on this server: list on the clock instead
                    self._connected.set()
                    self._poll()
                    return
                self._pause(error)
            except Exception as error:  # noqa: BLE001 - connection lost: reconnect, do not die
                self._pause(error)

    def _wait_then_run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._relist(notify=True)
            except Exception as error:  # noqa: BLE001 - not served yet, or the server is away
                self._pause(error)
                continue
            self._run()
            return

    def _stream_once(self) -> None:
        feed = self._feed = f"{self.name}-{next(_feed_ids)}" if settles(self._clock) else None
        headers = {SETTLE_HEADER: feed} if feed else {}
        watch = self._watch

        def open_stream(**kwargs):
            response = self._api.open("GET", self.kind.path(self._namespace), headers=headers, timeout=None,
                                      query=_watch_query(kwargs, self._selector))
            if 200 <= response.status <= 299:  # else watch.stream raises the server's error
                self._set_current(True)
            self._connected.set()
            if self._stopped.is_set():  # stopped while connecting: do not hold the stream open
                response.close()
                raise _Stopped()
            return response

        try:
            for event in watch.stream(open_stream, resource_version=self._resource_version,
                                      timeout_seconds=WATCH_SECONDS, allow_watch_bookmarks=self._bookmarks):
                if event is None:
                    continue
                try:
                    self._apply(event["type"], event["raw_object"])
                finally:
                    if feed:
                        self._clock.feed_handled(feed)
                if self._stopped.is_set():
                    break
        except _Stopped:
            pass
        finally:
            self._set_current(False)  # before the clock may move on: readers no longer trust the cache
            if feed:
                self._clock.feed_closed(feed)

    def _apply(self, kind: str, obj: dict) -> None:
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if kind == "BOOKMARK":
            if version:
                self._resource_version = version
            return
        obj = _with_kind(obj, self.kind)
        key = key_of(obj)
        with self._lock:
            before = self._cache.get(key)
            if kind == DELETED:
                self._cache.pop(key, None)
            else:
                self._cache[key] = obj
            if version:
                self._resource_version = version
            self.changes += 1
        if kind == ADDED and before is not None:
            kind = MODIFIED
        self._notify(kind, obj, before)

    def _notify(self, kind: str, obj: dict, before: dict | None) -> None:
        for handler in self._handlers:
            handler(kind, obj, before)

    def _relist_quietly(self) -> bool:
        try:
            self._relist(notify=True)
        except Exception as error:  # noqa: BLE001
            self._pause(error)
            return False
        return True

    def _poll(self) -> None:
        if self._stopped.is_set():
            return
        self._set_current(self._relist_quietly())
        if getattr(self._clock, "is_virtual", False):
            self._clock.call_later(POLL_SECONDS, self._poll)
        else:
            while not self._stopped.wait(POLL_SECONDS):
                self._set_current(self._relist_quietly())

    def _set_current(self, current: bool) -> None:
        if current:
            self._down_error = None
        if current == self._current:
            return
        self._current = current
        for handler in self._state_handlers:
            handler(current)

    def _pause(self, error: BaseException) -> None:
        self.last_error = self._down_error = error
        self._set_current(False)
        if not self._stopped.is_set():
            self._stopped.wait(RETRY_SECONDS)  # real time: the server is down or the stream broke


class _Stopped(Exception):
    """The informer was stopped while its stream was being opened."""


def describe_error(error: BaseException) -> str:
    """One line: `ApiException (429) TooManyRequests: too many requests ...` (the server's own Status), else
    the error."""
    if not isinstance(error, ApiException):
        return f"{type(error).__name__}: {error}"
    reason, message = error.reason, error.reason
    if error.body:
        try:
            status = json.loads(error.body)
            reason, message = status.get("reason") or reason, status.get("message") or message
        except (ValueError, AttributeError):
            message = error_message(error)
    return f"{type(error).__name__} ({error.status}) {reason}: {message}"


def _watch_query(kwargs: dict, selector: str | None) -> Iterable[tuple[str, str]]:
    query = [("watch", "true"), ("timeoutSeconds", str(kwargs.get("timeout_seconds", WATCH_SECONDS)))]
    if kwargs.get("allow_watch_bookmarks"):
        query.append(("allowWatchBookmarks", "true"))
    if kwargs.get("resource_version"):
        query.append(("resourceVersion", kwargs["resource_version"]))
    if selector:
        query.append(("labelSelector", selector))
    return query


def _with_kind(obj: dict, kind: Kind) -> dict:
    """List items carry no kind/apiVersion; cached objects do, so they can be written back."""
    if "kind" not in obj:
        obj = {"apiVersion": kind.api_version, "kind": kind.kind, **obj}
    return obj


def _matches(obj: dict, labels: dict[str, str]) -> bool:
    have = obj["metadata"].get("labels") or {}
    return all(have.get(k) == v for k, v in labels.items())


def parse_selector(text: str) -> dict[str, str]:
    """'app=a,tier=b' (equality terms, as /scale reports a matchLabels selector) -> dict."""
    labels = {}
    for term in filter(None, (t.strip() for t in (text or "").split(","))):
        name, sep, value = term.partition("=")
        if not sep:
            raise ValueError(f"selector term {term!r} is not name=value")
        labels[name.strip()] = value.lstrip("=").strip()
    return labels

