"""A scenario that cannot begin leaves no namespace behind (found under -D chaos=errors with no retries)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hamcrest import assert_that, equal_to, has_length

from support.scenario import Scenario


class _Cluster:
    def __init__(self, owns: bool):
        self.owns, self.created, self.deleted = owns, [], []

    def create_namespace(self, name, labels):
        self.created.append(name)
        return self.owns

    def feed(self, namespace, clock):
        raise RuntimeError("the watch could not list (500)")

    def delete_namespace(self, name):
        self.deleted.append(name)


def _target(cluster: _Cluster) -> SimpleNamespace:
    settings = SimpleNamespace(namespace=None, namespace_prefix="budspec")
    return SimpleNamespace(settings=settings, cluster=cluster, clock=None)


def test_a_namespace_made_for_a_scenario_that_failed_to_begin_is_deleted():
    cluster = _Cluster(owns=True)
    with pytest.raises(RuntimeError, match="could not list"):
        Scenario.begin(_target(cluster), "scaling")
    assert_that(cluster.created, has_length(1), "namespaces the scenario created")
    assert_that(cluster.deleted, equal_to(cluster.created), "namespaces deleted after the failed start")


def test_a_namespace_the_suite_did_not_make_is_left_alone():
    cluster = _Cluster(owns=False)
    with pytest.raises(RuntimeError):
        Scenario.begin(_target(cluster), "scaling")
    assert_that(cluster.deleted, equal_to([]), "namespaces deleted that the suite did not create")
