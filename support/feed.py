"""The suite's view of one scenario namespace, fed by watches: caches and a change counter.

One informer (list + watch, resume, 410 relist, bookmarks, and the virtual
clock's settle protocol) per kind the features read: BudAIScalers,
Deployments, ReplicaSets, Pods and ConfigMaps. Waits wake on `changes`
(support.waiting); probes read the caches where they are current.

A kind whose watch is down (its stream ended and the informer is reconnecting,
or the server refuses the watch) is read from the API instead, so a reader never
gets stale data; a read that fails then says the watch is down too. `trouble()`
names what is down and its last error, for a wait's timeout message.
"""

from __future__ import annotations

import threading

from kubernetes.client.exceptions import ApiException

from support.kube.api import CONFIGMAP, DEPLOYMENT, POD, REPLICASET, SCALER, Kind, KubeApi
from support.kube.informer import Informer, describe_error

WATCHED: tuple[Kind, ...] = (SCALER, DEPLOYMENT, REPLICASET, POD, CONFIGMAP)


class NamespaceFeed:
    def __init__(self, api: KubeApi, clock, namespace: str, kinds: tuple[Kind, ...] = WATCHED):
        self.namespace, self._clock = namespace, clock
        self._kinds = kinds
        self._informers: dict[str, Informer] = {}
        self._changed = threading.Condition()
        self._api = api
        self.changes = 0      # every change of every watched kind
        self.pod_changes = 0  # changes of pods only (duties run on these)

    def start(self) -> "NamespaceFeed":
        for kind in self._kinds:
            # No bookmarks: on the virtual clock they were most of all watch events (one a minute per stream,
            # through long learning days), and a feed whose resume version has left the server's history
            # after an hour's stream lists its namespace again (410 Gone), which costs less.
            informer = Informer(self._api, kind, self._clock, namespace=self.namespace, name=f"suite-{kind.plural}",
                                bookmarks=False)
            informer.add_handler(self._on_change_of(kind))
            informer.add_state_handler(self._on_state_change)
            try:
                informer.start()
            except ApiException as error:
                if error.status == 404:  # a kind this cluster does not serve (e.g. no ReplicaSets)
                    continue
                self.stop()
                raise
            self._informers[kind.kind] = informer
        return self

    def stop(self) -> None:
        for informer in self._informers.values():
            informer.stop()
        self._informers.clear()

    def covers(self, kind: str) -> bool:
        return kind in self._informers

    # -- reading ----------------------------------------------------------------------
    def get(self, kind: str, name: str) -> dict | None:
        informer = self._informers[kind]
        if informer.current:
            return informer.get(self.namespace, name)
        return self._read_live(informer, lambda: self._api.get_or_none(informer.kind, self.namespace, name))

    def list(self, kind: str, labels: dict[str, str] | None = None) -> list[dict]:
        informer = self._informers[kind]
        if informer.current:
            return informer.list(self.namespace, labels)
        selector = ",".join(f"{k}={v}" for k, v in (labels or {}).items()) or None
        listed = self._read_live(informer, lambda: self._api.list(informer.kind, self.namespace,
                                                                   label_selector=selector))
        return [{"apiVersion": informer.kind.api_version, "kind": informer.kind.kind, **item}
                for item in listed.get("items") or []]

    def trouble(self) -> str | None:
        """What is down (None: every watch is current), with the last error: a stale cache says so."""
        down = [t for informer in self._informers.values() if (t := informer.trouble()) is not None]
        return "; ".join(down) or None

    @staticmethod
    def _read_live(informer: Informer, read):
        try:
            return read()
        except Exception as error:
            raise FeedUnavailable(f"{informer.trouble() or f'the watch of {informer.kind.plural} is down'}, and "
                                  f"reading {informer.kind.plural} from the API failed: {describe_error(error)}"
                                  ) from error

    # -- waking -----------------------------------------------------------------------
    def wait_for_change(self, seen: int, timeout: float) -> bool:
        """Real time: block until `changes` moves past `seen` or `timeout` passes; True if it moved."""
        with self._changed:
            return self._changed.wait_for(lambda: self.changes != seen, timeout=max(0.0, timeout))

    def _on_state_change(self, current: bool) -> None:
        """A watch went down or came back: waits look again (reads now go to the API, or to the cache)."""
        with self._changed:
            self.changes += 1
            self._changed.notify_all()

    def _on_change_of(self, kind: Kind):
        def changed(event: str, obj: dict, before: dict | None) -> None:
            with self._changed:
                self.changes += 1
                if kind is POD:
                    self.pod_changes += 1
                self._changed.notify_all()
        return changed


class FeedUnavailable(RuntimeError):
    """A watch is down and the API read that stands in for its cache failed too."""
