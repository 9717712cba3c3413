"""Your own controller binary, run outside the cluster (`make run`): the suite checks only the CRD."""

from __future__ import annotations

import pytest
from hamcrest import assert_that, equal_to

from support.clock import RealClock
from support.cluster import PreconditionError, connect
from support.localcluster import LocalCluster
from support.settings import from_sources
from support.target import _wait_for_controller


@pytest.fixture
def bare(tmp_path):
    with LocalCluster(run_controller=False, workdir=tmp_path) as local:
        cluster = connect(str(local.kubeconfig_path))
        yield local, cluster
        cluster.close()


def test_with_an_external_controller_no_controller_pod_is_required(bare):
    _, cluster = bare
    settings = from_sources({"target": "cluster", "controller": "external"}, {})
    info = _wait_for_controller(cluster, RealClock(), settings)
    assert_that(info.images, equal_to(("external",)))


def test_without_it_the_missing_pod_stops_the_start(bare):
    _, cluster = bare
    with pytest.raises(PreconditionError, match="no running, ready BudAIScaler controller pod"):
        _wait_for_controller(cluster, RealClock(), from_sources({"target": "cluster"}, {}))


def test_an_external_controller_still_needs_the_crd(bare):
    local, cluster = bare
    local.uninstall_crd()
    with pytest.raises(PreconditionError, match="CRD budaiscalers.scaler.bud.studio missing"):
        _wait_for_controller(cluster, RealClock(), from_sources({"target": "cluster", "controller": "external"}, {}))
