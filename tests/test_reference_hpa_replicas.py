"""The Kubernetes HPA replica calculator, worked by hand (replica_calculator.go, v1.37)."""
import pytest

from support.reference.hpa_replicas import (MetricError, Tolerances, custom_samples, external_average_replicas,
                                            external_value_replicas, pod_resource_samples, pods_metric_replicas,
                                            resource_utilization_replicas)
from support.reference.learning.timefmt import rfc3339

NOW = 1_767_607_200.0      # 2026-01-05T10:00:00Z
T = Tolerances()


def pod(name, phase="Running", ready=True, cpu="500m", started=NOW - 3600, transition=None,
        deleting=False):
    status = {"phase": phase, "startTime": rfc3339(started)}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False",
                                 "lastTransitionTime": rfc3339(transition or started + 10)}]
    meta = {"name": name, **({"deletionTimestamp": rfc3339(NOW)} if deleting else {})}
    resources = {"requests": {"cpu": cpu}} if cpu else {}
    return {"metadata": meta, "spec": {"containers": [{"name": "app", "resources": resources}]},
            "status": status}


def pod_metrics(usages, stamp=NOW, window="30s"):
    return [{"metadata": {"name": name}, "timestamp": rfc3339(stamp), "window": window,
             "containers": [{"name": "app", "usage": {"cpu": usage, "memory": "100Mi"}}]}
            for name, usage in usages.items()]


def cpu(current, target, pods, usages, now=NOW):
    return resource_utilization_replicas(current, target, "cpu", T, pods,
                                         pod_resource_samples(pod_metrics(usages), "cpu"), now)


def test_utilization_is_whole_percent_of_the_requests():
    # (400 + 450 + 500)m of 3 x 500m = 90 %; 90/50 = 1.8 -> ceil(1.8 x 3) = ceil(5.4) = 6
    proposal = cpu(3, 50, [pod("a"), pod("b"), pod("c")], {"a": "400m", "b": "450m", "c": "500m"})
    assert (proposal.replicas, proposal.usage, proposal.raw) == (6, 90, 450)


def test_tolerance_band_is_inclusive():
    # 55 % of target 50 = 1.1: still inside [0.9, 1.1]
    assert cpu(2, 50, [pod("a"), pod("b")], {"a": "275m", "b": "275m"}).replicas == 2
    # 56 % -> 1.12 -> ceil(2.24) = 3
    assert cpu(2, 50, [pod("a"), pod("b")], {"a": "280m", "b": "280m"}).replicas == 3


def test_a_missing_pod_counts_as_full_use_on_a_scale_down():
    # a, b at 100m of 500m = 20 %: 0.4 of target 50; c has no sample -> counts 100 % of 500m:
    # (100 + 100 + 500) / 1500 = 46 % -> 0.92, inside the band -> keep 3
    assert cpu(3, 50, [pod("a"), pod("b"), pod("c")], {"a": "100m", "b": "100m"}).replicas == 3


def test_a_missing_pod_counts_as_zero_on_a_scale_up():
    # a, b at 500m = 100 % -> 2.0 of 50; c missing counts 0: 1000/1500 = 66 % -> 1.32 -> ceil(3.96) = 4
    assert cpu(3, 50, [pod("a"), pod("b"), pod("c")], {"a": "500m", "b": "500m"}).replicas == 4


def test_a_pending_pod_damps_a_scale_up():
    # a, b at 100 % of target 60: 1.67 -> 4 without c; pending c counts 0 %: 66/60 = 1.1 -> keep 3
    pods = [pod("a"), pod("b"), pod("c", phase="Pending", ready=None)]
    assert cpu(3, 60, pods, {"a": "500m", "b": "500m"}).replicas == 3


def test_deleting_and_failed_pods_are_ignored():
    pods = [pod("a"), pod("b", deleting=True), pod("c", phase="Failed")]
    # a alone: 500m of 500m = 100 % / 50 -> 2.0 x 1 ready = 2
    assert cpu(3, 50, pods, {"a": "500m", "b": "500m", "c": "500m"}).replicas == 2


def test_cpu_of_a_freshly_ready_pod_is_not_trusted():
    # started 60 s ago, Ready 20 s ago, its sample covers 30 s: part of it predates readiness -> unready
    fresh = pod("b", started=NOW - 60, transition=NOW - 20)
    # a: 100 % of 50 -> 2.0 with b unready -> b counts 0: 500/1000 = 50 % -> 1.0 -> keep 2
    assert cpu(2, 50, [pod("a"), fresh], {"a": "500m", "b": "500m"}).replicas == 2
    settled = pod("b", started=NOW - 60, transition=NOW - 45)
    assert cpu(2, 50, [pod("a"), settled], {"a": "500m", "b": "500m"}).replicas == 4


def test_missing_requests_and_no_samples_are_errors():
    with pytest.raises(MetricError, match="missing request for cpu in container app of Pod a"):
        cpu(1, 50, [pod("a", cpu=None)], {"a": "100m"})
    with pytest.raises(MetricError, match="no metrics returned from resource metrics API"):
        pod_resource_samples([], "cpu")
    with pytest.raises(MetricError, match=r"did not receive metrics for targeted pods \(pods might be unready\)"):
        cpu(1, 50, [pod("a", phase="Pending", ready=None)], {"a": "100m"})
    with pytest.raises(MetricError, match="no pods returned by selector while calculating replica count"):
        cpu(1, 50, [], {"a": "100m"})


def values(**by_pod):
    return custom_samples([{"describedObject": {"kind": "Pod", "name": name}, "metricName": "q",
                            "timestamp": rfc3339(NOW), "value": value} for name, value in by_pod.items()])


def test_pods_metric_average_value():
    # (30 + 50) / 2 = 40 per pod vs 20: 2.0 x 2 = 4
    proposal = pods_metric_replicas(2, 20_000, T, [pod("a"), pod("b")], values(a="30", b="50"), NOW)
    assert (proposal.replicas, proposal.usage) == (4, 40_000)


def test_pods_metric_counts_an_unready_running_pod_with_a_value():
    # no readiness check outside cpu: b (Ready False) still counts: 2.0 x 2 = 4
    pods = [pod("a"), pod("b", ready=False)]
    assert pods_metric_replicas(2, 20_000, T, pods, values(a="30", b="50"), NOW).replicas == 4


def test_pods_metric_missing_pod_on_a_scale_down_counts_as_the_target():
    # a: 5 vs 20 = 0.25; b missing counts 20: (5 + 20) / 2 = 12.5 -> 0.625 -> ceil(1.25) = 2: keep 2
    assert pods_metric_replicas(2, 20_000, T, [pod("a"), pod("b")], values(a="5"), NOW).replicas == 2
    # with three pods: (5 + 20 + 20) / 3 = 15 -> 0.75 -> ceil(2.25) = 3: keep 3
    assert pods_metric_replicas(3, 20_000, T, [pod("a"), pod("b"), pod("c")], values(a="5"), NOW).replicas == 3


def test_external_value_times_ready_pods():
    # 3 + 1 = 4 vs target 2: 2.0 x 3 ready pods = 6 (the unready pod is not counted)
    pods = [pod("a"), pod("b"), pod("c"), pod("d", ready=False)]
    proposal = external_value_replicas(4, 2000, T, [3000, 1000], pods)
    assert (proposal.replicas, proposal.usage) == (6, 4000)
    assert external_value_replicas(4, 2000, T, [2100], pods).replicas == 4     # 1.05: inside the band


def test_external_value_from_zero_replicas():
    assert external_value_replicas(0, 2000, T, [5000], []).replicas == 3        # ceil(2.5)
    assert external_value_replicas(0, 2000, T, [0], []).replicas == 0


def test_external_average_value_per_replica_of_the_target():
    # 10 vs 2 per pod with 3 replicas: 10 / 6 = 1.67 -> ceil(10 / 2) = 5; current value ceil(10/3)
    proposal = external_average_replicas(3, 2000, T, [4000, 6000])
    assert (proposal.replicas, proposal.usage) == (5, 3334)
    assert external_average_replicas(5, 2000, T, [10_500]).replicas == 5         # 1.05: inside
