"""The embedded HorizontalPodAutoscaler controller, through the official client: every 15 s of cluster time it
reads the metrics APIs, runs the Kubernetes algorithm and scales the target, and reports in the HPA's status."""

from __future__ import annotations

import urllib.request

import pytest

from test_localcluster_metrics_apis import sidecar_pods


@pytest.fixture
def ns(fresh_namespace):
    return fresh_namespace("hpa")


def cpu_hpa(ns: str, utilization: int, **spec) -> dict:
    return {"metadata": {"name": "sidecar-hpa", "namespace": ns},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "sidecar"},
                     "minReplicas": 1, "maxReplicas": 6, **spec,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization", "averageUtilization": utilization}}}]}}


def set_cpu(core, ns: str, millicores: int) -> None:
    for pod in core.list_namespaced_pod(ns).items:
        with urllib.request.urlopen(f"http://{pod.status.pod_ip}:9000/set?cpu={millicores}m", timeout=5) as reply:
            assert reply.status == 200


def test_an_hpa_scales_its_deployment_up_on_cpu_above_target_and_says_why(cluster, core, apps, autoscaling, ns):
    sidecar_pods(cluster, core, ns)                        # 2 pods, 200m of 500m requested: 40 %
    autoscaling.create_namespaced_horizontal_pod_autoscaler(ns, cpu_hpa(ns, 80))
    set_cpu(core, ns, 800)                                 # 160 %: twice the target
    cluster.clock.advance(14.0)
    assert apps.read_namespaced_deployment_scale("sidecar", ns).spec.replicas == 2, "no sync before 15 s"
    cluster.clock.advance(1.0)
    assert apps.read_namespaced_deployment_scale("sidecar", ns).spec.replicas == 4
    status = autoscaling.read_namespaced_horizontal_pod_autoscaler("sidecar-hpa", ns).status
    assert (status.current_replicas, status.desired_replicas) == (2, 4)
    assert status.current_metrics[0].resource.current.average_utilization == 160
    assert {c.type: c.reason for c in status.conditions}["ScalingActive"] == "ValidMetricFound"
    events = core.list_namespaced_event(ns, field_selector="involvedObject.name=sidecar-hpa").items
    assert [e.message for e in events if e.reason == "SuccessfulRescale"] == [
        "New size: 4; reason: cpu resource utilization (percentage of request) above target"]


def test_an_hpa_leaves_a_load_within_its_tolerance_alone(cluster, core, apps, autoscaling, ns):
    sidecar_pods(cluster, core, ns)
    set_cpu(core, ns, 430)                                 # 86 % against 80 %: inside the 10 % tolerance
    autoscaling.create_namespaced_horizontal_pod_autoscaler(ns, cpu_hpa(ns, 80))
    cluster.clock.advance(45.0)
    assert apps.read_namespaced_deployment_scale("sidecar", ns).spec.replicas == 2
    set_cpu(core, ns, 460)                                 # 92 %: outside it
    cluster.clock.advance(15.0)
    assert apps.read_namespaced_deployment_scale("sidecar", ns).spec.replicas == 3


def test_an_hpa_scales_down_only_after_its_stabilization_window(cluster, core, apps, autoscaling, ns):
    sidecar_pods(cluster, core, ns)
    set_cpu(core, ns, 100)                                 # 20 %: one pod would do
    behavior = {"scaleDown": {"stabilizationWindowSeconds": 60}}
    autoscaling.create_namespaced_horizontal_pod_autoscaler(ns, cpu_hpa(ns, 80, behavior=behavior))
    cluster.clock.advance(60.0)
    assert apps.read_namespaced_deployment_scale("sidecar", ns).spec.replicas == 2
    cluster.clock.advance(30.0)
    assert apps.read_namespaced_deployment_scale("sidecar", ns).spec.replicas == 1


def test_an_hpa_whose_target_is_missing_cannot_scale(cluster, core, autoscaling, ns):
    autoscaling.create_namespaced_horizontal_pod_autoscaler(ns, cpu_hpa(ns, 80))
    cluster.clock.advance(15.0)
    status = autoscaling.read_namespaced_horizontal_pod_autoscaler("sidecar-hpa", ns).status
    able = {c.type: c for c in status.conditions}["AbleToScale"]
    assert (able.status, able.reason) == ("False", "FailedGetScale")
    assert 'deployments.apps "sidecar" not found' in able.message
