"""Edges of the HPA replica calculator (support/reference/hpa_replicas.py), worked by hand.

Written against the survivors of `make mutation` in support/reference/hpa_replicas.py: the band's
bounds, what each metrics API reading keeps, requests of sidecars, which pods count as unready for
cpu, the direction checks after missing and unready pods are filled in, and the int64/int32 caps.
"""
import pytest

from support.reference.hpa_replicas import (INT32_MAX, MetricError, Sample, Tolerances, _go_div, custom_samples,
                                            external_average_replicas, external_value_replicas, external_values,
                                            pod_requests, pod_resource_samples, pods_metric_replicas,
                                            resource_utilization_replicas)
from support.reference.learning.timefmt import rfc3339
from test_reference_hpa_replicas import NOW, T, pod, pod_metrics

INT64_MAX = 2**63 - 1


def cpu(current, target, pods, usages, **metrics):
    return resource_utilization_replicas(current, target, "cpu", T, pods,
                                         pod_resource_samples(pod_metrics(usages, **metrics), "cpu"), NOW)


def per_pod(target, pods, current=None, **values):
    samples = {name: Sample(value) for name, value in values.items()}
    return pods_metric_replicas(len(pods) if current is None else current, target, T, pods, samples, NOW)


def test_the_band_includes_both_bounds():
    assert Tolerances().within(0.9) and Tolerances().within(1.1)
    assert Tolerances(down=0.5, up=0.0).within(0.5) and not Tolerances(down=0.5, up=0.0).within(1.01)


def test_resource_samples_keep_pods_with_the_resource_in_every_container():
    items = [{"metadata": {"name": "a"}, "timestamp": rfc3339(NOW - 5), "window": "30s",
              "containers": [{"usage": {"cpu": "100m"}}, {"usage": {"memory": "1Mi"}}]},
             {"metadata": {"name": "b"}, "containers": []},
             {"metadata": {"name": "c"}, "timestamp": rfc3339(NOW), "containers": [{"usage": {"cpu": "1"}},
                                                                                  {"usage": {"cpu": "250m"}}]}]
    # a lacks cpu in one container, b has none: both left out; c sums its containers; no window -> 60 s
    assert pod_resource_samples(items, "cpu") == {"c": Sample(1250, NOW, 60.0)}
    assert pod_resource_samples(pod_metrics({"a": "1"}, window="nonsense"), "cpu")["a"].window == 60.0
    assert pod_resource_samples(pod_metrics({"a": "1"}, window=""), "cpu")["a"].window == 60.0


def test_custom_samples_read_value_time_and_window():
    item = {"describedObject": {"name": "a"}, "value": "1500m", "timestamp": rfc3339(NOW), "windowSeconds": 30}
    assert custom_samples([item, {"describedObject": {"name": "b"}, "value": "2"}]) == {
        "a": Sample(1500, NOW, 30.0), "b": Sample(2000, None, 60.0)}
    with pytest.raises(MetricError) as empty:
        custom_samples([])
    assert str(empty.value) == "no metrics returned from custom metrics API"
    with pytest.raises(MetricError) as none:
        external_values([])
    assert str(none.value) == "no metrics returned from external metrics API"


def test_requests_sum_the_containers_and_the_restartable_init_containers():
    sidecars = {"metadata": {"name": "a"}, "spec": {
        "containers": [{"name": "app", "resources": {"requests": {"cpu": "500m"}}},
                       {"name": "proxy", "resources": {"requests": {"cpu": "100m"}}}],
        "initContainers": [{"name": "log", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}},
                           {"name": "setup", "resources": {"requests": {"cpu": "2"}}}]}}
    assert pod_requests(sidecars, "cpu") == 650
    bad = {"metadata": {"name": "a"}, "spec": {"containers": [{"resources": {"requests": {"cpu": "lots"}}}]}}
    with pytest.raises(MetricError) as error:
        pod_requests(bad, "cpu")
    assert "lots" in str(error.value)
    unnamed = {"metadata": {"name": "a"}, "spec": {"containers": [{"resources": {}}]}}
    with pytest.raises(MetricError) as missing:
        pod_requests(unnamed, "cpu")
    assert str(missing.value) == "missing request for cpu in container  of Pod a"


def test_a_deleting_pod_s_sample_is_not_counted():
    # a: 100 % of its request; b is being deleted at 0 %: a alone -> 100 / 50 = 2.0 x 1 ready = 2
    assert cpu(2, 50, [pod("a"), pod("b", deleting=True)], {"a": "500m", "b": "0"}).replicas == 2
    # the same for a pods metric: a at 40 vs 20 -> 2.0 x 1 = 2 (b at 0 would halve it)
    assert per_pod(20_000, [pod("a"), pod("b", phase="Failed")], a=40_000, b=0).replicas == 2


def test_a_pending_pod_is_unready_not_missing_on_a_scale_down():
    # a: 10 vs 20 = 0.5; c pending: not filled in on a scale-down -> ceil(0.5 x 1 ready) = 1
    # (were it missing it would count as the target: (10 + 20) / 2 = 15 -> 0.75 -> keep 2)
    pods = [pod("a"), pod("c", phase="Pending", ready=None)]
    assert per_pod(20_000, pods, a=10_000).replicas == 1


def test_a_running_pod_without_readiness_is_unready_for_cpu():
    # b has no Ready condition: unready, so on a scale-up it counts 0 %: (500 + 0) / 1000 = 50 % -> 1.0: keep 2
    assert cpu(2, 50, [pod("a"), pod("b", ready=None)], {"a": "500m", "b": "500m"}).replicas == 2
    no_start = pod("b")
    del no_start["status"]["startTime"]
    assert cpu(2, 50, [pod("a"), no_start], {"a": "500m", "b": "500m"}).replicas == 2


def test_cpu_readiness_inside_the_first_five_minutes_uses_the_sample_time():
    # b started 100 s ago, Ready since 95 s ago; its 30 s sample was taken 80 s ago: it began before
    # readiness (-110 < -95) -> unready -> a alone at 100 %/50: 2.0, b at 0: 50 % -> 1.0 -> keep 2
    b = pod("b", started=NOW - 100, transition=NOW - 95)
    assert cpu(2, 50, [pod("a"), b], {"a": "500m", "b": "500m"}, stamp=NOW - 80).replicas == 2
    # a sample ending exactly one window after readiness is trusted: -65 = -95 + 30 -> ready: 4
    assert cpu(2, 50, [pod("a"), b], {"a": "500m", "b": "500m"}, stamp=NOW - 65).replicas == 4


def test_cpu_readiness_after_five_minutes_only_distrusts_a_pod_never_ready():
    def second(**kwargs):
        return cpu(2, 50, [pod("a"), pod("b", **kwargs)], {"a": "500m", "b": "500m"}).replicas

    # started 300 s ago exactly: past initialization; Ready False since 40 s after start: it was ready once -> 4
    assert second(started=NOW - 300, ready=False, transition=NOW - 260) == 4
    # Ready False since 10 s after start (inside the 30 s readiness delay): never ready -> unready -> keep 2
    assert second(started=NOW - 3600, ready=False, transition=NOW - 3590) == 2
    # ... since exactly 30 s after start: not inside the delay -> counted -> 4
    assert second(started=NOW - 3600, ready=False, transition=NOW - 3570) == 4


def test_an_unready_pod_at_exactly_the_target_changes_nothing():
    # a, b at 50 % of 50: ratio 1.0, not a scale-up, so pending c is not counted as 0 -> keep 3
    pods = [pod("a"), pod("b"), pod("c", phase="Pending", ready=None)]
    proposal = cpu(3, 50, pods, {"a": "250m", "b": "250m"})
    assert (proposal.replicas, proposal.usage, proposal.raw) == (3, 50, 250)


def test_a_missing_pod_at_exactly_the_target_is_not_filled_in():
    # a at 50 % of 50: ratio 1.0; b missing gets neither 100 % nor 0 -> keep 2
    assert cpu(2, 50, [pod("a"), pod("b")], {"a": "250m"}).replicas == 2
    assert per_pod(20_000, [pod("a"), pod("b")], a=20_000).replicas == 2


def test_a_missing_pod_on_a_moderate_scale_up_counts_as_zero():
    # a at 75 % of 50 = 1.5; b missing counts 0: 375 / 1000 = 37 % -> 0.74: the direction flips -> keep 2
    proposal = cpu(2, 50, [pod("a"), pod("b")], {"a": "375m"})
    assert (proposal.replicas, proposal.usage, proposal.raw) == (2, 75, 375)
    # pods metric: a at 30 vs 20 = 1.5; b missing counts 0: 15 -> 0.75: flips -> keep 2
    proposal = per_pod(20_000, [pod("a"), pod("b")], a=30_000)
    assert (proposal.replicas, proposal.usage) == (2, 30_000)


def test_a_missing_pod_on_a_scale_down_that_turns_into_a_scale_up_keeps_the_count():
    # a at 20 % of 50 = 0.4; b missing counts max(100 %, 50 %) of 500m: 600 / 1000 = 60 % -> 1.2: flips -> keep 2
    assert cpu(2, 50, [pod("a"), pod("b")], {"a": "100m"}).replicas == 2


def test_unready_pods_on_a_scale_up_that_turns_into_a_scale_down_keep_the_count():
    # a at 75 % of 50 = 1.5; b, c pending count 0: 375 / 1500 = 25 % -> 0.5: flips -> keep 3
    pods = [pod("a"), pod("b", phase="Pending", ready=None), pod("c", phase="Pending", ready=None)]
    assert cpu(3, 50, pods, {"a": "375m"}).replicas == 3
    # pods metric: a at 30 vs 20 = 1.5; b, c pending count 0: 10 -> 0.5: flips -> keep 3
    assert per_pod(20_000, pods, a=30_000).replicas == 3


def test_unready_pods_on_a_scale_up_count_as_zero():
    # a, b at 40 vs 20 = 2.0; c pending counts 0: 80 / 3 = 26.666 -> 1.33 -> ceil(4) = 4
    pods = [pod("a"), pod("b"), pod("c", phase="Pending", ready=None)]
    proposal = per_pod(20_000, pods, a=40_000, b=40_000)
    assert (proposal.replicas, proposal.usage) == (4, 40_000)


def test_more_pods_than_replicas_do_not_turn_a_scale_down_into_a_scale_up():
    # 4 pods listed for 2 replicas: a at 5 vs 20, b, c, d missing count 20: 65 / 4 = 16.25 -> 0.8125
    # ceil(0.8125 x 4) = 4 > 2 on a scale-down -> keep 2
    pods = [pod("a"), pod("b"), pod("c"), pod("d")]
    assert per_pod(20_000, pods, current=2, a=5_000).replicas == 2


def test_fewer_pods_than_replicas_do_not_turn_a_scale_up_into_a_scale_down():
    # 2 pods for 4 replicas: a at 60 vs 20 = 3.0, b missing counts 0: (60 + 0) / 2 = 30 -> 1.5
    # ceil(1.5 x 2) = 3 < 4 on a scale-up -> keep 4
    assert per_pod(20_000, [pod("a"), pod("b")], current=4, a=60_000).replicas == 4


def test_the_empty_cases_name_what_is_missing():
    with pytest.raises(MetricError) as no_pods:
        per_pod(20_000, [], current=2, a=1)
    assert str(no_pods.value) == "no pods returned by selector while calculating replica count"
    with pytest.raises(MetricError) as no_metrics:
        per_pod(20_000, [pod("a", phase="Pending", ready=None)], a=1)
    assert str(no_metrics.value) == "did not receive metrics for targeted pods (pods might be unready)"
    with pytest.raises(MetricError) as no_ready:
        external_value_replicas(2, 1000, T, [5000], [])
    assert str(no_ready.value) == ("unable to calculate ready pods: "
                                   "no pods returned by selector while calculating replica count")
    with pytest.raises(MetricError) as unknown:
        resource_utilization_replicas(1, 50, "cpu", T, [pod("a")], {"x": Sample(100, NOW)}, NOW)
    assert str(unknown.value) == "no metrics returned matched known pods"


def test_a_request_of_one_milli_is_a_request():
    # 1m used of 1m = 100 % vs 50 % -> 2.0 x 1 = 2
    assert cpu(1, 50, [pod("a", cpu="1m")], {"a": "1m"}).replicas == 2


def test_sums_are_capped_at_int64_and_replicas_at_int32():
    assert external_value_replicas(1, 1000, T, [INT64_MAX, 5000], [pod("a")]).usage == INT64_MAX
    assert external_average_replicas(1, 1000, T, [INT64_MAX, 5000]).replicas == INT32_MAX
    assert external_value_replicas(0, 1, T, [10**15], []).replicas == INT32_MAX


def test_an_external_average_with_no_status_replicas_goes_by_the_total():
    # no replicas in the target's status: ratio is infinite; ceil(7 / 2) = 4; the current average is the int64 cap
    proposal = external_average_replicas(0, 2000, T, [7000])
    assert (proposal.replicas, proposal.usage) == (4, INT64_MAX)


def test_go_integer_division_truncates_toward_zero():
    assert [_go_div(7, 2), _go_div(-7, 2), _go_div(7, -2), _go_div(-7, -2)] == [3, -3, -3, 3]
