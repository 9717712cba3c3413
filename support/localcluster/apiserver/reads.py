"""GET and LIST (label and field selectors, Table output for kubectl) and `watch=true`."""

from __future__ import annotations

from support.clock import SETTLE_HEADER
from support.localcluster.apiserver import resources, tables, watch
from support.localcluster.apiserver.request import (Request, Response, Streaming, Target, is_watch,
                                                     object_not_found, wants_table)
from support.localcluster.apiserver.selectors import parse_field_selector, parse_label_selector
from support.localcluster.apiserver.watch import WatchClock, Watches
from support.localcluster.errors import ApiError, bad_request
from support.localcluster.store import Store


class Reads:
    def __init__(self, store: Store, clock: WatchClock, watches: Watches):
        self._store, self._clock, self._watches = store, clock, watches

    def fetch(self, target: Target) -> dict:
        """The object the target names, as stored: read-only (404 when there is none)."""
        obj = self._store.peek(target.resource.kind, target.namespace, target.name)
        if obj is None:
            raise object_not_found(target.resource, target.name)
        return obj

    def get(self, request: Request, target: Target) -> Response | Streaming:
        if is_watch(request):
            return self.watch(request, target)
        obj = self.fetch(target)
        if wants_table(request):
            return self._table(request, target, [obj], obj["metadata"].get("resourceVersion", ""))
        return Response.json(200, obj)

    def list(self, request: Request, target: Target) -> Response | Streaming:
        if is_watch(request):
            return self.watch(request, target)
        items, version = self.select(request, target)
        if wants_table(request):
            return self._table(request, target, items, version)
        resource = target.resource
        return Response.json(200, {"kind": resource.list_kind, "apiVersion": resource.api_version,
                                   "metadata": {"resourceVersion": version}, "items": items})

    def select(self, request: Request, target: Target) -> tuple[list[dict], str]:
        """The selected objects and the resourceVersion they are current at (a watch resumes from it)."""
        labels = parse_label_selector(request.query.get("labelSelector", ""))
        fields = parse_field_selector(request.query.get("fieldSelector", ""))
        items, version = self._store.list_refs(target.resource.kind, target.namespace)
        return [o for o in items if labels(o.get("metadata", {}).get("labels") or {}) and fields(o)], version

    def watch(self, request: Request, target: Target) -> Streaming:
        query = request.query
        since = _watch_since(query.get("resourceVersion", ""))
        send_initial = query.get("sendInitialEvents", "").lower()
        bookmarks = query.get("allowWatchBookmarks", "").lower() in ("true", "1")
        if send_initial == "true" and not bookmarks:
            raise ApiError(422, "Invalid", 'ListOptions.meta.k8s.io "" is invalid: allowWatchBookmarks: Forbidden: '
                                           "sendInitialEvents requires setting allowWatchBookmarks to true")
        spec = watch.WatchSpec(
            kind=target.resource.kind, api_version=target.resource.api_version,
            matches=_watch_filter(request, target), encode=self._watch_encoder(request, target),
            since=None if send_initial == "true" else since, initial_events=send_initial != "false",
            initial_events_end=send_initial == "true", bookmarks=bookmarks,
            timeout=_timeout_seconds(query.get("timeoutSeconds")),
            feed_id=request.headers.get(SETTLE_HEADER.lower()) or None)
        return Streaming(self._watches.open(spec))

    def _watch_encoder(self, request: Request, target: Target) -> watch.Encode:
        if not wants_table(request):
            return watch.json_event
        version = resources.crd_version(self._store, target.resource)
        include = request.query.get("includeObject", "Metadata")

        def encode(event_type: str, obj: dict) -> bytes:
            if event_type in (watch.BOOKMARK, watch.ERROR):
                return watch.json_event(event_type, obj)
            table = tables.to_table(target.resource, version, [obj], self._clock.now(),
                                    obj["metadata"].get("resourceVersion", ""), include)
            return watch.json_event(event_type, table)
        return encode

    def _table(self, request: Request, target: Target, objects: list[dict], resource_version: str) -> Response:
        version = resources.crd_version(self._store, target.resource)
        table = tables.to_table(target.resource, version, objects, self._clock.now(),
                                resource_version, request.query.get("includeObject", "Metadata"))
        return Response.json(200, table)


def _watch_filter(request: Request, target: Target) -> watch.Matches:
    labels = parse_label_selector(request.query.get("labelSelector", ""))
    fields = parse_field_selector(request.query.get("fieldSelector", ""))
    namespace, name = target.namespace, target.name

    def matches(obj: dict) -> bool:
        meta = obj.get("metadata") or {}
        return ((namespace is None or meta.get("namespace") == namespace)
                and (name is None or meta.get("name") == name)
                and labels(meta.get("labels") or {}) and fields(obj))
    return matches


def _watch_since(text: str) -> int | None:
    """A watch's resourceVersion: "" and "0" start from the current state, N after N."""
    if text in ("", "0"):
        return None
    if not text.isdigit():
        raise bad_request(f'invalid resource version: strconv.ParseUint: parsing "{text}": invalid syntax')
    return int(text)


def _timeout_seconds(text: str | None) -> float | None:
    """A watch's timeoutSeconds; 0 or absent means none (kube-apiserver then picks its own)."""
    if text in (None, ""):
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise bad_request(f'invalid timeoutSeconds "{text}"') from None
    return seconds if seconds > 0 else None
