"""Leader election with a coordination.k8s.io/v1 Lease (off unless `--leader-elect`).

client-go's rules: hold the lease `budaiscaler-leader` while renewing it every
`retry_period`; take it over when its holder has not renewed it for
`lease_duration`; release it on a clean stop so a successor need not wait.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

from kubernetes.client.exceptions import ApiException

from support.kube.api import LEASE, KubeApi

LEASE_NAME = "budaiscaler-leader"


def micro_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_micro_time(text: str) -> float:
    text = text.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp()


class LeaderElection:
    def __init__(self, api: KubeApi, namespace: str, *, name: str = LEASE_NAME, identity: str | None = None,
                 lease_duration: float = 15.0, retry_period: float = 2.0):
        self._api, self.namespace, self.name = api, namespace, name
        self.identity = identity or f"{socket.gethostname()}_{os.urandom(4).hex()}"
        self.lease_duration, self.retry_period = lease_duration, retry_period
        self.is_leader = False

    def try_acquire_or_renew(self, now: float) -> bool:
        lease = self._api.get_or_none(LEASE, self.namespace, self.name)
        if lease is None:
            self._write(None, now, acquired=True)
            return self.is_leader
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity")
        renewed = parse_micro_time(spec["renewTime"]) if spec.get("renewTime") else 0.0
        duration = spec.get("leaseDurationSeconds") or self.lease_duration
        if holder and holder != self.identity and now < renewed + duration:
            self.is_leader = False
            return False
        self._write(lease, now, acquired=holder != self.identity)
        return self.is_leader

    def release(self) -> None:
        if not self.is_leader:
            return
        try:
            lease = self._api.get_or_none(LEASE, self.namespace, self.name)
            if lease is not None and (lease.get("spec") or {}).get("holderIdentity") == self.identity:
                lease["spec"]["holderIdentity"] = ""
                self._api.replace(LEASE, self.namespace, self.name, lease)
        except ApiException:
            pass
        self.is_leader = False

    def _write(self, lease: dict | None, now: float, acquired: bool) -> None:
        spec = dict((lease or {}).get("spec") or {})
        spec.update(holderIdentity=self.identity, leaseDurationSeconds=int(self.lease_duration),
                    renewTime=micro_time(now))
        if acquired:
            spec["acquireTime"] = micro_time(now)
            spec["leaseTransitions"] = spec.get("leaseTransitions", -1) + 1 if lease else 0
        try:
            if lease is None:
                self._api.create(LEASE, self.namespace, {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                                         "metadata": {"name": self.name, "namespace": self.namespace},
                                                         "spec": spec})
            else:
                self._api.replace(LEASE, self.namespace, self.name, {**lease, "spec": spec})
            self.is_leader = True
        except ApiException as error:
            if error.status not in (409, 422):
                raise
            self.is_leader = False
