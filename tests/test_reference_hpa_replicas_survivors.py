"""The HPA replica calculator (support/reference/hpa_replicas.py) at the edges its other tests left open:
written against the survivors of `make mutation` (docs/mutation-survivors.md): the messages of the empty
cases, what a missing pod is filled in with (the fallback at and above 100 %, on a scale-up), unready pods on
a scale-up, a Pods metric inside the band, cpu readiness of a young pod, deleting pods, and the int64 cap of
an external total. The mixed cases were found by comparing the model with each mutant on random inputs.
"""
import pytest
from hamcrest import assert_that, calling, equal_to, raises

from support.reference.hpa_replicas import (MetricError, Sample, external_average_replicas, group_pods,
                                            pod_resource_samples, pods_metric_replicas,
                                            resource_utilization_replicas)
from test_reference_hpa_replicas import NOW, T, cpu, pod, pod_metrics


def mixed(sampled, missing, pending, usage):
    """``sampled`` ready pods reading usage, usage + 37m, ...; then pods without a reading, then pending ones."""
    pods = [pod(f"p{i}") for i in range(sampled + missing)]
    pods += [pod(f"q{i}", phase="Pending", ready=None) for i in range(pending)]
    return pods, {f"p{i}": usage + 37 * i for i in range(sampled)}


@pytest.mark.parametrize("sampled, missing, pending, usage, target, expected, why", [
    (5, 2, 1, 681, 90, 8, "a scale-up between 1x and 2x fills missing pods in at 0"),
    (6, 2, 0, 834, 30, 37, "a scale-up fills missing pods in at 0, not at 1m"),
    (3, 0, 2, 554, 50, 7, "a scale-up counts pending pods at 0, not at 1m"),
])
def test_cpu_utilization_with_missing_and_pending_pods(sampled, missing, pending, usage, target, expected, why):
    pods, usages = mixed(sampled, missing, pending, usage)
    result = cpu(len(pods), target, pods, {name: f"{milli}m" for name, milli in usages.items()})
    assert_that(result.replicas, equal_to(expected), why)


@pytest.mark.parametrize("sampled, missing, pending, usage, target, expected, why", [
    (5, 2, 2, 404, 500, 9, "pending pods are counted at 0 only on a scale-up"),
    (6, 0, 2, 608, 700, 8, "pending pods at exactly the target change nothing"),
    (2, 1, 0, 773, 500, 3, "a scale-up between 1x and 2x fills a missing pod in at 0"),
    (2, 3, 0, 1333, 300, 9, "a scale-up fills missing pods in at 0, not at 1m"),
])
def test_a_pods_metric_with_missing_and_pending_pods(sampled, missing, pending, usage, target, expected, why):
    pods, usages = mixed(sampled, missing, pending, usage)
    samples = {name: Sample(milli) for name, milli in usages.items()}
    result = pods_metric_replicas(len(pods), target, T, pods, samples, NOW)
    assert_that(result.replicas, equal_to(expected), why)


def test_a_pods_metric_inside_the_band_keeps_current_and_reports_the_average():
    pods, usages = mixed(4, 0, 0, 942)           # average 997.5m -> 997m vs 1100m: 0.91, inside the band
    result = pods_metric_replicas(4, 1100, T, pods, {n: Sample(v) for n, v in usages.items()}, NOW)
    assert_that((result.replicas, result.usage), equal_to((4, 997)), "4 replicas kept, 997m per pod")


# -- the fallback for a missing pod on a scale-down: max(100 %, target) of its request ---------------------
@pytest.mark.parametrize("missing, cpu_request, target, expected, why", [
    (8, "1", 100, 8, "8 missing pods at 100 % of 1 cpu: 88 % -> ceil(0.88 x 9) = 8 (at 101 % it would be 89 %)"),
    (9, "1", 100, 10, "9 missing pods at 100 %: 90 %, inside the band (dividing by 101 would give 89 %)"),
    (9, "333m", 110, 9, "at 110 % a 333m request fills in 366m, whole milli: 98 % -> 9"),
])
def test_a_missing_pod_on_a_scale_down_is_filled_in_at_the_fallback(missing, cpu_request, target, expected, why):
    pods = [pod(f"p{i}", cpu=cpu_request) for i in range(missing + 1)]
    assert_that(cpu(missing + 1, target, pods, {"p0": "0"}).replicas, equal_to(expected), why)


# -- the empty cases ------------------------------------------------------------------------------------
def test_the_empty_cases_of_a_resource_metric_name_what_is_missing():
    assert_that(calling(resource_utilization_replicas).with_args(1, 50, "cpu", T, [], {}, NOW),
                raises(MetricError, "^no pods returned by selector while calculating replica count$"), "no pods")
    pending = [pod("a", phase="Pending", ready=None)]
    assert_that(calling(resource_utilization_replicas).with_args(1, 50, "cpu", T, pending, {"a": Sample(1)}, NOW),
                raises(MetricError, r"^did not receive metrics for targeted pods \(pods might be unready\)$"),
                "only an unready pod")
    assert_that(calling(pod_resource_samples).with_args([], "cpu"),
                raises(MetricError, "^no metrics returned from resource metrics API$"), "no readings")


# -- which pods count -------------------------------------------------------------------------------------
def test_a_young_pod_reported_not_ready_is_unready_for_cpu():
    young = pod("a", ready=False, started=NOW - 60, transition=NOW - 55)
    groups = group_pods([young], {"a": Sample(500, NOW, 30.0)}, "cpu", NOW)
    assert_that(groups.unready, equal_to({"a"}), "Ready False inside the first five minutes: unready")


def test_a_young_ready_pod_without_a_sample_time_is_judged_now():
    young = pod("a", ready=True, started=NOW - 60, transition=NOW - 50)
    groups = group_pods([young], {"a": Sample(500, None, 30.0)}, "cpu", NOW)
    assert_that((groups.ready, groups.unready), equal_to((1, set())), "read now, 50 s after it became ready")


def test_a_deleting_pod_is_ignored_by_name():
    groups = group_pods([pod("a", deleting=True), pod("b")], {"a": Sample(1), "b": Sample(1)}, "", NOW)
    assert_that(groups.ignored, equal_to({"a"}), "the deleting pod is left out")


def test_an_external_total_is_capped_at_int64():
    proposal = external_average_replicas(1, 1000, T, [2**63, 2**63])
    assert_that(proposal.usage, equal_to(2**63), "a total of 2^64 counts as int64's largest (2^63 as a float)")
