"""The HPA controller's sync (support/reference/hpa.py) at the edges its other tests left open: written against
the survivors of `make mutation` (docs/mutation-survivors.md): a Pods metric inside the tolerance keeps the
current count, and a resource metric that fails after its samples were read names itself in the error.
"""
from hamcrest import assert_that, equal_to

from support.reference.hpa import HpaState, reconcile
from test_reference_hpa_edges import cpu_at, hpa, inputs, pods_metric
from test_reference_hpa_replicas import pod, pod_metrics


def queue(*values):
    return [{"describedObject": {"kind": "Pod", "name": f"p{i}"}, "metricName": "queue", "value": v,
             "timestamp": "2026-01-05T10:00:00Z", "windowSeconds": 30} for i, v in enumerate(values)]


def test_a_pods_metric_inside_the_tolerance_keeps_the_current_count():
    # 520m per pod vs 500m: 4 % over, inside the 10 % band
    decision = reconcile(hpa(pods_metric("queue", "500m")),
                         inputs(3, custom_metrics={"queue": queue("520m", "520m", "520m")}), HpaState())
    assert_that(decision.desired, equal_to(3), "a pods metric 4 % over target changes nothing")


def test_a_resource_metric_failing_after_its_samples_names_itself_in_the_error():
    pods = (pod("p0", cpu=None), pod("p1", cpu=None))        # no cpu request: no utilization
    decision = reconcile(hpa(cpu_at(50)), inputs(2, pods=pods, pod_metrics=tuple(pod_metrics({"p0": "1", "p1": "1"}))),
                         HpaState())
    cause = decision.events[0][2]
    assert_that(decision.events[1][2],
                equal_to(f"invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource "
                         f"metric value: {cause}"), "the summary event repeats which metric failed and why")
