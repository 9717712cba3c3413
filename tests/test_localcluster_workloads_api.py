"""Workload semantics through the official client: Deployments own ReplicaSets which own pods, the
/scale subresource of Deployments, ReplicaSets and StatefulSets, StatefulSets' ordered pods, and
garbage collection of what a deleted Deployment owned."""

from __future__ import annotations


import pytest
from kubernetes.client import ApiException

SIM = "ghcr.io/llm-d/llm-d-inference-sim:v0.6.1"  # emulated: runs and answers /ready without a ConfigMap


@pytest.fixture
def ns(fresh_namespace):
    return fresh_namespace("workloads")


def template(app: str) -> dict:
    return {"metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": "sim", "image": SIM, "args": ["--port=8000", "--model=m"],
                                     "ports": [{"containerPort": 8000}],
                                     "readinessProbe": {"httpGet": {"path": "/ready", "port": 8000}}}]}}


def workload(name: str, replicas: int, **spec) -> dict:
    return {"metadata": {"name": name}, "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                                                  "template": template(name), **spec}}


def names(core, ns: str) -> list[str]:
    return sorted(p.metadata.name for p in core.list_namespaced_pod(ns).items)


def owner(obj) -> tuple[str, str]:
    ref = obj.metadata.owner_references[0]
    return ref.kind, ref.name


def test_a_deployment_owns_a_replica_set_that_owns_its_pods(apps, core, ns, cluster):
    apps.create_namespaced_deployment(ns, workload("web", 2))
    [replica_set] = apps.list_namespaced_replica_set(ns).items
    assert owner(replica_set) == ("Deployment", "web")
    pods = core.list_namespaced_pod(ns).items
    assert len(pods) == 2 and {owner(p) for p in pods} == {("ReplicaSet", replica_set.metadata.name)}
    cluster.clock.advance(5)
    status = apps.read_namespaced_deployment_status("web", ns).status
    assert (status.replicas, status.ready_replicas, status.updated_replicas) == (2, 2, 2)
    rs_status = apps.read_namespaced_replica_set_status(replica_set.metadata.name, ns).status
    assert (rs_status.replicas, rs_status.ready_replicas, rs_status.available_replicas) == (2, 2, 2)


def test_scale_a_deployment_through_its_scale_subresource(apps, core, ns):
    apps.create_namespaced_deployment(ns, workload("web", 1))
    scale = apps.read_namespaced_deployment_scale("web", ns)
    assert (scale.spec.replicas, scale.status.selector) == (1, "app=web")
    apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 3}})
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 3
    assert len(names(core, ns)) == 3
    [replica_set] = apps.list_namespaced_replica_set(ns).items
    assert replica_set.spec.replicas == 3, "the Deployment scales its ReplicaSet"


def test_scale_a_replica_set_of_its_own(apps, core, ns):
    apps.create_namespaced_replica_set(ns, workload("solo", 2))
    scale = apps.read_namespaced_replica_set_scale("solo", ns)
    assert (scale.spec.replicas, scale.status.replicas, scale.status.selector) == (2, 2, "app=solo")
    scale.spec.replicas = 1
    apps.replace_namespaced_replica_set_scale("solo", ns, scale)
    pods = core.list_namespaced_pod(ns).items
    assert len(pods) == 1 and owner(pods[0]) == ("ReplicaSet", "solo")


def test_a_stateful_set_starts_its_pods_in_order_each_once_the_previous_is_ready(apps, core, ns, cluster):
    apps.create_namespaced_stateful_set(ns, workload("db", 3, serviceName="db"))
    assert names(core, ns) == ["db-0"], "db-1 waits for db-0 to be Running and Ready"
    pod = core.read_namespaced_pod("db-0", ns)
    assert owner(pod) == ("StatefulSet", "db") and pod.spec.hostname == "db-0" and pod.spec.subdomain == "db"
    assert pod.metadata.labels["statefulset.kubernetes.io/pod-name"] == "db-0"
    cluster.clock.advance(5)
    assert names(core, ns) == ["db-0", "db-1"]
    cluster.clock.advance(5)
    assert names(core, ns) == ["db-0", "db-1", "db-2"]
    cluster.clock.advance(5)
    status = apps.read_namespaced_stateful_set_status("db", ns).status
    assert (status.replicas, status.ready_replicas, status.current_revision) == (3, 3, status.update_revision)


def test_scale_a_stateful_set_down_from_the_highest_ordinal(apps, core, ns, cluster):
    apps.create_namespaced_stateful_set(ns, workload("db", 3, podManagementPolicy="Parallel"))
    assert names(core, ns) == ["db-0", "db-1", "db-2"], "Parallel starts them all at once"
    cluster.clock.advance(5)
    scale = apps.read_namespaced_stateful_set_scale("db", ns)
    assert (scale.spec.replicas, scale.status.replicas, scale.status.selector) == (3, 3, "app=db")
    apps.patch_namespaced_stateful_set_scale("db", ns, {"spec": {"replicas": 1}})
    assert names(core, ns) == ["db-0"]


def test_a_stateful_set_rolls_a_template_change_from_the_highest_ordinal(apps, core, ns, cluster):
    apps.create_namespaced_stateful_set(ns, workload("db", 2, podManagementPolicy="Parallel"))
    cluster.clock.advance(5)
    before = {n: core.read_namespaced_pod(n, ns).metadata.uid for n in names(core, ns)}
    apps.patch_namespaced_stateful_set("db", ns, {"spec": {"template": {"metadata": {"labels": {"v": "2"}}}}})
    assert "db-1" not in names(core, ns) or core.read_namespaced_pod("db-1", ns).metadata.uid != before["db-1"]
    assert core.read_namespaced_pod("db-0", ns).metadata.uid == before["db-0"], "one at a time, highest first"
    for _ in range(4):
        cluster.clock.advance(5)
    status = apps.read_namespaced_stateful_set_status("db", ns).status
    assert status.updated_replicas == 2 and status.current_revision == status.update_revision
    assert all(core.read_namespaced_pod(n, ns).metadata.labels["v"] == "2" for n in ("db-0", "db-1"))


def test_deleting_a_deployment_collects_its_replica_sets_and_pods(apps, core, ns):
    apps.create_namespaced_deployment(ns, workload("web", 2))
    apps.delete_namespaced_deployment("web", ns)
    assert apps.list_namespaced_replica_set(ns).items == [] and names(core, ns) == []


def test_a_selector_that_misses_the_template_is_invalid(apps, ns):
    body = workload("web", 1)
    body["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    with pytest.raises(ApiException) as error:
        apps.create_namespaced_deployment(ns, body)
    assert error.value.status == 422 and "`selector` does not match template `labels`" in error.value.body
