"""Scenarios that need an optional API (the metrics APIs) run where discovery lists it and skip elsewhere."""

from __future__ import annotations

from support.target import OPTIONAL_APIS, Target


class _Cluster:
    def __init__(self, groups):
        self.groups = groups

    def served_api_groups(self):
        return set(self.groups)


def _target(groups) -> Target:
    return Target(settings=None, cluster=_Cluster(groups), clock=None, version="v1.31", controller=None)


def test_each_optional_api_is_served_only_where_discovery_lists_its_group():
    assert _target(["apps", "metrics.k8s.io"]).optional_apis() == {"metrics_api": "served",
                                                                  "custom_metrics_api": "absent",
                                                                  "external_metrics_api": "absent"}
    assert _target(["apps"]).optional_apis() == {tag: "absent" for tag in OPTIONAL_APIS}


def test_the_embedded_cluster_lists_the_metrics_apis():
    from support.cluster import connect
    from support.localcluster import LocalCluster
    local = LocalCluster().start()
    try:
        cluster = connect(str(local.kubeconfig_path))
        try:
            assert set(OPTIONAL_APIS.values()) <= cluster.served_api_groups(), \
                "the embedded cluster's discovery must list the metrics APIs its HPA controller and sources read"
        finally:
            cluster.close()
    finally:
        local.stop()
