"""The suite's view of one scenario namespace, fed by watches: caches and a change counter.

One informer (list + watch, resume, 410 relist, bookmarks, and the virtual
clock's settle protocol) per kind the features read: BudAIScalers,
Deployments, ReplicaSets, Pods and ConfigMaps. Waits wake on `changes`
(support.waiting); probes read the caches where they are current.
"""

from __future__ import annotations

import threading

from kubernetes.client.exceptions import ApiException

from support.kube.api import CONFIGMAP, DEPLOYMENT, POD, REPLICASET, SCALER, Kind, KubeApi
from support.kube.informer import Informer

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
            informer = Informer(self._api, kind, self._clock, namespace=self.namespace, name=f"suite-{kind.plural}")
            informer.add_handler(self._on_change_of(kind))
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
        return self._informers[kind].get(self.namespace, name)

    def list(self, kind: str, labels: dict[str, str] | None = None) -> list[dict]:
        return self._informers[kind].list(self.namespace, labels)

    # -- waking -----------------------------------------------------------------------
    def wait_for_change(self, seen: int, timeout: float) -> bool:
        """Real time: block until `changes` moves past `seen` or `timeout` passes; True if it moved."""
        with self._changed:
            return self._changed.wait_for(lambda: self.changes != seen, timeout=max(0.0, timeout))

    def _on_change_of(self, kind: Kind):
        def changed(event: str, obj: dict, before: dict | None) -> None:
            with self._changed:
                self.changes += 1
                if kind is POD:
                    self.pod_changes += 1
                self._changed.notify_all()
        return changed
