"""The operator in-process against the embedded cluster (no built-in controller), on its virtual clock:
its finalizer, the target's replicas through /scale for a kind other than Deployment, status only when
it changed, Events, and the finalizer removed on deletion."""

import kubernetes
import pytest

from support.kube.api import EVENT, REPLICASET, SCALER, KubeApi
from support.localcluster import LocalCluster
from support.operator import FINALIZER, Behaviour, Operator

NAMESPACE = "operator-targets"


@pytest.fixture
def running():
    with LocalCluster(run_controller=False) as cluster:
        api = KubeApi(kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig_path)))
        api.request("POST", "/api/v1/namespaces", body={"metadata": {"name": NAMESPACE}})
        operator = Operator(api, cluster.clock, Behaviour(), log=lambda line: None).start()
        try:
            yield cluster, api
        finally:
            operator.stop()


def replicaset(name: str, replicas: int) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "example/none"}]}}}}


def scaler(target_kind: str, target: str, minimum: int) -> dict:
    return {"apiVersion": "scaler.bud.studio/v1alpha1", "kind": "BudAIScaler", "metadata": {"name": "s"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": target_kind, "name": target},
                     "minReplicas": minimum, "maxReplicas": 5, "scalingStrategy": "BudScaler",
                     "metricsSources": [{"metricSourceType": "pod", "targetMetric": "load", "targetValue": "50"}]}}


def test_a_replicaset_is_scaled_through_its_scale_subresource(running):
    cluster, api = running
    api.create(REPLICASET, NAMESPACE, replicaset("rs", 1))
    api.create(SCALER, NAMESPACE, scaler("ReplicaSet", "rs", minimum=2))
    cluster.clock.advance(1)
    assert api.get(REPLICASET, NAMESPACE, "rs")["spec"]["replicas"] == 2, "raised to the minimum of 2"
    found = api.get(SCALER, NAMESPACE, "s")
    assert FINALIZER in found["metadata"]["finalizers"]
    assert found["status"]["desiredScale"] == 2
    assert found["status"]["scalingHistory"][-1]["newScale"] == 2
    reasons = {e["reason"] for e in api.list(EVENT, NAMESPACE)["items"]}
    assert {"SuccessfulRescale", "ScalerReady"} <= reasons, reasons


def test_status_is_written_only_when_it_changed(running):
    cluster, api = running
    api.create(REPLICASET, NAMESPACE, replicaset("rs", 2))
    api.create(SCALER, NAMESPACE, scaler("ReplicaSet", "rs", minimum=2))
    cluster.clock.advance(1)
    version = api.get(SCALER, NAMESPACE, "s")["metadata"]["resourceVersion"]
    cluster.clock.advance(60)  # six more reconciles, nothing new to say
    assert api.get(SCALER, NAMESPACE, "s")["metadata"]["resourceVersion"] == version


def test_an_unknown_kind_is_reported_not_ready(running):
    cluster, api = running
    api.create(SCALER, NAMESPACE, scaler("Rollout", "r", minimum=1))
    cluster.clock.advance(1)
    ready = api.get(SCALER, NAMESPACE, "s")["status"]["conditions"][0]
    assert (ready["status"], ready["reason"]) == ("False", "ReconciliationFailed")
    assert "generic scale not implemented for Rollout/r" in ready["message"]


def test_deletion_removes_the_finalizer(running):
    """Meaningful where the API server holds an object until its finalizers are gone (kube-apiserver,
    and the embedded one once it implements finalizers): then only the operator can finish the deletion."""
    cluster, api = running
    api.create(REPLICASET, NAMESPACE, replicaset("rs", 2))
    api.create(SCALER, NAMESPACE, scaler("ReplicaSet", "rs", minimum=2))
    cluster.clock.advance(1)
    api.delete(SCALER, NAMESPACE, "s")
    held = api.get_or_none(SCALER, NAMESPACE, "s")
    if held is not None:
        assert held["metadata"].get("deletionTimestamp"), "a held object is marked for deletion"
    cluster.clock.advance(1)
    assert api.get_or_none(SCALER, NAMESPACE, "s") is None, "the operator let the deletion finish"
