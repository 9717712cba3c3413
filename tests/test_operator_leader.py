"""Leader election on a coordination.k8s.io Lease: acquire, renew, wait while another holds it, take it over
when its holder stops renewing, release on a clean stop. The Lease store here is an in-memory stand-in
for the API (the embedded cluster does not serve Leases); resourceVersions make writes conflict as on a
real API server."""

import copy

from kubernetes.client.exceptions import ApiException

from support.operator.leader import LeaderElection, micro_time

T = 1_767_607_200.0  # 2026-01-05 10:00:00 UTC


class FakeLeases:
    def __init__(self):
        self.lease, self.version = None, 0

    def get_or_none(self, kind, namespace, name):
        return copy.deepcopy(self.lease)

    def create(self, kind, namespace, obj):
        if self.lease is not None:
            raise ApiException(status=409, reason="AlreadyExists")
        return self._store(obj)

    def replace(self, kind, namespace, name, obj):
        if obj["metadata"].get("resourceVersion") != self.lease["metadata"]["resourceVersion"]:
            raise ApiException(status=409, reason="Conflict")
        return self._store(obj)

    def _store(self, obj):
        self.version += 1
        self.lease = copy.deepcopy(obj)
        self.lease["metadata"]["resourceVersion"] = str(self.version)
        return copy.deepcopy(self.lease)


def elector(api, who):
    return LeaderElection(api, "budaiscaler-system", identity=who)


def test_the_first_candidate_acquires_and_renews_the_lease():
    api = FakeLeases()
    first = elector(api, "a")
    assert first.try_acquire_or_renew(T) is True
    assert api.lease["spec"]["holderIdentity"] == "a"
    assert first.try_acquire_or_renew(T + 2) is True
    assert api.lease["spec"]["renewTime"] == micro_time(T + 2)
    assert api.lease["spec"]["leaseTransitions"] == 0


def test_a_second_candidate_waits_while_the_lease_is_renewed_and_takes_it_over_when_it_expires():
    api = FakeLeases()
    first, second = elector(api, "a"), elector(api, "b")
    first.try_acquire_or_renew(T)
    assert second.try_acquire_or_renew(T + 10) is False, "the lease (15 s) has not expired yet"
    assert second.try_acquire_or_renew(T + 16) is True, "nobody renewed it for 16 s"
    assert api.lease["spec"]["holderIdentity"] == "b"
    assert api.lease["spec"]["leaseTransitions"] == 1
    assert first.try_acquire_or_renew(T + 17) is False, "the old leader learns it lost the lease"


def test_release_on_stop_lets_a_successor_lead_at_once():
    api = FakeLeases()
    first, second = elector(api, "a"), elector(api, "b")
    first.try_acquire_or_renew(T)
    first.release()
    assert first.is_leader is False
    assert second.try_acquire_or_renew(T + 1) is True
