"""The reference BudAIScaler operator: informers, a reconcile queue, the finalizer.

    Operator(api_client, clock, behaviour, log=print).start() ... .stop()

It watches BudAIScalers and pods (informers: list + watch), reconciles a scaler
at once when it appears or its spec changes (GenerationChangedPredicate) and
every 10 s of clock time after each pass, adds its finalizer on the first pass
and removes it when the scaler is being deleted (§2.2, §2.9). With
`leader_election` it reconciles only while it holds a coordination.k8s.io
Lease. Nothing here knows which cluster it runs against.
"""

from __future__ import annotations

import threading
import traceback
from typing import Callable, Hashable

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from support.operator.behaviour import Behaviour
from support.operator.events import EventRecorder
from support.kube.informer import ADDED, DELETED, Informer, key_of
from support.kube.api import POD, SCALER, Kind, KubeApi, error_message
from support.operator.leader import LeaderElection
from support.operator.queue import WorkQueue
from support.operator.reconciler import Reconciler
from support.operator.services import ResolverFactory, system_dns

FINALIZER = "scaler.bud.studio/finalizer"
RECONCILE_INTERVAL = 10.0  # DefaultRequeueInterval
_LEASE_KEY = ("", "lease")


class Operator:
    def __init__(self, api: ApiClient | KubeApi, clock, behaviour: Behaviour | None = None, *,
                 log: Callable[[str], None] = print, leader_election: LeaderElection | None = None,
                 services: ResolverFactory = system_dns):
        self.api = api if isinstance(api, KubeApi) else KubeApi(api)
        self.clock, self.behaviour, self._log = clock, behaviour or Behaviour(), log
        self.scalers = Informer(self.api, SCALER, clock, name="budaiscalers")
        self.pods = Informer(self.api, POD, clock, name="pods")
        self._queue = WorkQueue(clock, self._work)
        self._leader = leader_election
        self._targets: dict[str, Informer | None] = {}
        self._reconciler = Reconciler(self.api, clock, self.behaviour, self.scalers, self.pods,
                                      EventRecorder(self.api, clock, log), log, targets=self._target_informer,
                                      services=services(self.api, self.pods, clock))
        self._lock = threading.Lock()
        self._running = False

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> "Operator":
        self._running = True
        self.scalers.add_handler(self._on_scaler)
        self.pods.start()
        self._queue.start()
        self.scalers.start(wait_for_kind=True)  # the CRD may be installed after the operator starts
        if self._leader is not None:
            self._queue.add(_LEASE_KEY, 0.0)
        self._log(f"reference operator started (model={self.behaviour.model.name}, server={self.api.host})")
        return self

    def stop(self) -> None:
        self._running = False
        self._queue.stop()
        self.scalers.stop()
        self.pods.stop()
        for informer in list(self._targets.values()):
            if informer is not None:
                informer.stop()
        if self._leader is not None:
            self._leader.release()
        self._reconciler.close()
        self._log("reference operator stopped")

    # -- events -------------------------------------------------------------------------
    def _on_scaler(self, event: str, obj: dict, before: dict | None) -> None:
        key = key_of(obj)
        if event == DELETED:
            self._queue.forget(key)
            self._reconciler.forget(*key)
            return
        meta, old = obj["metadata"], (before or {}).get("metadata") or {}
        if event == ADDED or meta.get("generation") != old.get("generation") \
                or (meta.get("deletionTimestamp") and not old.get("deletionTimestamp")):
            self._queue.add(key, 0.0)  # GenerationChangedPredicate: status and metadata writes do not trigger

    # -- work ---------------------------------------------------------------------------
    def _work(self, key: Hashable) -> None:
        if not self._running:
            return
        if key == _LEASE_KEY:
            self._renew_lease()
            return
        if self._leader is not None and not self._leader.is_leader:
            self._queue.add(key, RECONCILE_INTERVAL)
            return
        try:
            again = self._reconcile(*key)
        except Exception:  # a bug in the model must be visible, not kill the loop
            self._log(f"reconcile {key[0]}/{key[1]} crashed:\n{traceback.format_exc()}")
            again = True
        if again and self._running:
            self._queue.add(key, RECONCILE_INTERVAL)

    def _reconcile(self, namespace: str, name: str) -> bool:
        """One pass; False when there is nothing more to do for this scaler."""
        scaler = self.scalers.get(namespace, name)
        if scaler is None:
            return False
        finalizers = list(scaler["metadata"].get("finalizers") or [])
        if scaler["metadata"].get("deletionTimestamp"):
            if FINALIZER in finalizers:
                self._reconciler.finalize(scaler)
                self._set_finalizers(scaler, [f for f in finalizers if f != FINALIZER])
            self._reconciler.forget(namespace, name)
            return False
        if FINALIZER not in finalizers:
            scaler = self._set_finalizers(scaler, finalizers + [FINALIZER])
            if scaler is None:
                return True
        self._reconciler.reconcile(scaler)
        return True

    def _set_finalizers(self, scaler: dict, finalizers: list[str]) -> dict | None:
        meta = scaler["metadata"]
        patch = {"metadata": {"finalizers": finalizers, "resourceVersion": meta.get("resourceVersion")}}
        try:
            return self.api.patch(SCALER, meta.get("namespace"), meta["name"], patch)
        except ApiException as error:
            if error.status not in (404, 409):
                self._log(f"{meta.get('namespace')}/{meta['name']}: finalizer not updated: {error_message(error)}")
            return None

    def _target_informer(self, kind: Kind) -> Informer | None:
        """A cache of the scale targets of `kind`, started when a scaler first targets it (None: not served)."""
        if kind.kind not in self._targets:
            informer = Informer(self.api, kind, self.clock, name=kind.plural)
            try:
                self._targets[kind.kind] = informer.start()
            except ApiException as error:
                self._log(f"not caching {kind.plural}: {error_message(error)}")
                self._targets[kind.kind] = None
        return self._targets[kind.kind]

    def _renew_lease(self) -> None:
        was = self._leader.is_leader
        try:
            self._leader.try_acquire_or_renew(self.clock.now())
        except Exception as error:  # noqa: BLE001 - a failed renewal is a lost lease, not a crash
            self._log(f"leader election: {error}")
            self._leader.is_leader = False
        if self._leader.is_leader != was:
            self._log("became the leader" if self._leader.is_leader else "lost the leader lease")
        self._queue.add(_LEASE_KEY, self._leader.retry_period)
