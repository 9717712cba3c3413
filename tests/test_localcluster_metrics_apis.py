"""The embedded cluster's metrics APIs through the official client: metrics.k8s.io PodMetrics from the CPU
the pods' programs declare, custom.metrics.k8s.io (v1beta2 and v1beta1) from the metrics the pods serve,
external.metrics.k8s.io from the same metrics summed over the namespace's pods."""

from __future__ import annotations

import json

import kubernetes
import pytest
from kubernetes.client import ApiException

from support import manifests
from support.kube.api import KubeApi


@pytest.fixture
def ns(fresh_namespace):
    return fresh_namespace("metrics")


def sidecar_pods(cluster, core, ns: str, replicas: int = 2, program: str = "vllm_sidecar.py", port: int = 9000,
                 env: tuple[tuple[str, str], ...] = (("INITIAL_CPU", "200m"), ("INITIAL_WAITING", "7"))) -> list[str]:
    """`replicas` pods of the vLLM metrics sidecar (or another mock `program`) requesting 500m CPU, Running and
    Ready."""
    configmap = manifests.program_configmap(program, name="program")
    core.create_namespaced_config_map(ns, {**configmap, "metadata": {"name": "program"}})
    container = {"name": "sidecar", "image": "python:3.11-slim", "command": ["python", f"/app/{program}"],
                 "ports": [{"containerPort": port}], "resources": {"requests": {"cpu": "500m"}},
                 "env": [{"name": k, "value": v} for k, v in env],
                 "readinessProbe": {"httpGet": {"path": "/ready", "port": 9000}},
                 "volumeMounts": [{"name": "program", "mountPath": "/app"}]}
    kubernetes.client.AppsV1Api(core.api_client).create_namespaced_deployment(ns, {
        "metadata": {"name": "sidecar"}, "spec": {
            "replicas": replicas, "selector": {"matchLabels": {"app": "sidecar"}},
            "template": {"metadata": {"labels": {"app": "sidecar"}},
                         "spec": {"containers": [container],
                                  "volumes": [{"name": "program", "configMap": {"name": "program"}}]}}}})
    cluster.clock.advance(10.0)
    return sorted(p.metadata.name for p in core.list_namespaced_pod(ns).items)


def test_pod_metrics_report_each_containers_declared_cpu(cluster, core, custom, ns):
    first, second = sidecar_pods(cluster, core, ns)
    one = custom.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", ns, "pods", first)
    assert one["kind"] == "PodMetrics" and one["metadata"]["name"] == first
    assert one["containers"] == [{"name": "sidecar", "usage": {"cpu": "200m", "memory": "0"}}]
    assert one["window"] == "15s" and one["timestamp"]
    listed = custom.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", ns, "pods", label_selector="app=sidecar")
    assert sorted(i["metadata"]["name"] for i in listed["items"]) == [first, second]
    assert custom.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", ns, "pods",
                                                label_selector="app=other")["items"] == []


def test_pod_metrics_report_the_memory_a_program_declares(cluster, core, custom, ns):
    first, _ = sidecar_pods(cluster, core, ns, program="metrics_server.py", port=8000,
                            env=(("INITIAL_CPU", "100m"), ("INITIAL_MEMORY", "64Mi")))
    one = custom.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", ns, "pods", first)
    assert one["containers"] == [{"name": "sidecar", "usage": {"cpu": "100m", "memory": str(64 << 20)}}]


def test_pod_metrics_of_a_pod_that_runs_nowhere_are_not_found(cluster, core, custom, ns):
    core.create_namespaced_pod(ns, {"metadata": {"name": "pending"},
                                    "spec": {"nodeName": "elsewhere", "containers": [{"name": "c", "image": "x"}]}})
    with pytest.raises(ApiException) as raised:
        custom.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", ns, "pods", "pending")
    assert raised.value.status == 404
    assert json.loads(raised.value.body)["message"] == 'podmetrics.metrics.k8s.io "pending" not found'


def test_custom_metrics_serve_each_pods_own_metric_in_both_versions(cluster, core, api_client, ns):
    pods = sidecar_pods(cluster, core, ns)
    path = f"/apis/custom.metrics.k8s.io/{{version}}/namespaces/{ns}/pods/*/vllm:num_requests_waiting"
    for version, name_of in (("v1beta2", lambda i: i["metric"]["name"]), ("v1beta1", lambda i: i["metricName"])):
        body = get_json(api_client, path.format(version=version), {"labelSelector": "app=sidecar"})
        assert body["kind"] == "MetricValueList"
        assert sorted(i["describedObject"]["name"] for i in body["items"]) == pods
        assert {(name_of(i), i["value"]) for i in body["items"]} == {("vllm:num_requests_waiting", "7")}
    with pytest.raises(ApiException) as raised:
        get_json(api_client, path.replace("vllm:num_requests_waiting", "no_such_metric").format(version="v1beta2"))
    assert raised.value.status == 404 and "no_such_metric" in json.loads(raised.value.body)["message"]


def test_external_metrics_sum_what_the_namespaces_pods_serve(cluster, core, api_client, ns):
    sidecar_pods(cluster, core, ns)
    path = f"/apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/vllm:num_requests_waiting"
    body = get_json(api_client, path)
    assert body["kind"] == "ExternalMetricValueList"
    assert [(i["metricName"], i["value"]) for i in body["items"]] == [("vllm:num_requests_waiting", "14")]
    assert get_json(api_client, path, {"labelSelector": "app=sidecar"})["items"][0]["value"] == "14"
    for missing, query in ((path, {"labelSelector": "app=other"}), (path.replace("waiting", "sleeping"), None)):
        with pytest.raises(ApiException) as raised:
            get_json(api_client, missing, query)
        assert raised.value.status == 404 and "could not find the external metric" in json.loads(raised.value.body)["message"]


def test_discovery_lists_the_metrics_groups(api_client):
    groups = kubernetes.client.ApisApi(api_client).get_api_versions().groups
    names = {g.name: g.preferred_version.version for g in groups}
    assert names["metrics.k8s.io"] == "v1beta1" and names["custom.metrics.k8s.io"] == "v1beta2"
    assert names["external.metrics.k8s.io"] == "v1beta1"


def get_json(api_client, path: str, query: dict | None = None) -> dict:
    """A GET of a path the typed client has no call for, through the official ApiClient (as the operator does)."""
    return json.loads(KubeApi(api_client).text("GET", path, query=list((query or {}).items())))
