"""Kubernetes Events about a BudAIScaler, as `kubectl describe` shows them.

Contract (the controller's code creates no recorder, catalogue §2.8, though its
RBAC grants events): a Normal `SuccessfulRescale` event when the operator
changes the target's replicas (HPA's reason and wording), and an event when the
Ready condition changes status (`Normal <reason>` to True, `Warning <reason>`
to False). No scenario observes events, so the code's silence is no quirk.
Events are best effort: a failed write is logged, never fails a reconcile.
"""

from __future__ import annotations

import itertools
import os
from typing import Callable

from kubernetes.client.exceptions import ApiException

from support.clock import rfc3339
from support.kube.api import EVENT, KubeApi, error_message

COMPONENT = "budaiscaler-controller"
_counter = itertools.count(1)


class EventRecorder:
    def __init__(self, api: KubeApi, clock, log: Callable[[str], None]):
        self._api, self._clock, self._log = api, clock, log
        self._suffix = os.urandom(3).hex()

    def scaled(self, scaler: dict, before: int, after: int, reason: str) -> None:
        self.emit(scaler, "Normal", "SuccessfulRescale", f"New size: {after}; reason: {reason}")

    def ready_changed(self, scaler: dict, before: dict | None, after: dict | None) -> None:
        if after is None or (before is not None and before.get("status") == after.get("status")):
            return
        kind = "Normal" if after.get("status") == "True" else "Warning"
        self.emit(scaler, kind, after.get("reason", "Ready"), after.get("message", ""))

    def emit(self, obj: dict, kind: str, reason: str, message: str) -> None:
        meta = obj["metadata"]
        now = rfc3339(self._clock.now())
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{self._suffix}{next(_counter):x}",
                         "namespace": meta.get("namespace")},
            "involvedObject": {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "name": meta["name"],
                               "namespace": meta.get("namespace"), "uid": meta.get("uid"),
                               "resourceVersion": meta.get("resourceVersion")},
            "reason": reason, "message": message, "type": kind,
            "source": {"component": COMPONENT}, "reportingComponent": COMPONENT,
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
        }
        try:
            self._api.create(EVENT, meta.get("namespace"), event)
        except ApiException as error:
            self._log(f"event {reason} on {meta.get('namespace')}/{meta['name']} not recorded: {error_message(error)}")
