"""Edges of the HPA controller's sync (support/reference/hpa.py), worked by hand.

Written against the survivors of `make mutation` in support/reference/hpa.py: each test pins the
whole status, events and error a sync leaves for one path (a failed scale read, zero replicas, the
bounds, Resource, Pods and External metrics and their failures, the write), as horizontal.go does.
"""
from support.reference.hpa import HpaGates, HpaInputs, HpaState, finish, reconcile
from support.reference.hpa_status import HpaStatus
from test_reference_hpa_replicas import NOW, pod, pod_metrics

AT_NOW = "2026-01-05T10:00:00Z"
GOT_SCALE = {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale",
             "message": "the HPA controller was able to get the target's current scale", "lastTransitionTime": AT_NOW}
OLD = HpaGates(scale_to_zero=False, configurable_tolerance=False)


def hpa(*metrics, min_replicas=1, max_replicas=10, behavior=None, status=None):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm"},
            "minReplicas": min_replicas, "maxReplicas": max_replicas, "metrics": list(metrics)}
    if behavior is not None:
        spec["behavior"] = behavior
    return {"metadata": {"name": "web-hpa", "namespace": "ns"}, "spec": spec, **({"status": status} if status else {})}


def cpu_at(utilization):
    return {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                       "averageUtilization": utilization}}}


def pods_metric(name, average):
    return {"type": "Pods", "pods": {"metric": {"name": name}, "target": {"type": "AverageValue",
                                                                          "averageValue": average}}}


def external(name, **target):
    return {"type": "External", "external": {"metric": {"name": name}, "target": target}}


def inputs(current, now=NOW, **extra):
    extra.setdefault("pods", tuple(pod(f"p{i}") for i in range(current)))
    return HpaInputs(now=now, current=current, status_replicas=current, selector="app=llm", **extra)


def condition(decision, type_):
    return next(c for c in decision.status.to_json()["conditions"] if c["type"] == type_)


def test_a_failed_scale_read_is_said_in_able_to_scale_an_event_and_the_error():
    decision = reconcile(hpa(cpu_at(50)), HpaInputs(now=NOW, current=2, scale_error="timeout"), HpaState())
    assert (decision.desired, decision.rescale, decision.reason, decision.current) == (2, False, "", 2)
    assert decision.status.to_json() == {"desiredReplicas": 0, "conditions": [
        {"type": "AbleToScale", "status": "False", "reason": "FailedGetScale",
         "message": "the HPA controller was unable to get the target's current scale: timeout",
         "lastTransitionTime": AT_NOW}]}
    assert decision.events == (("Warning", "FailedGetScale", "timeout"),)
    assert decision.error == "failed to query scale subresource for Deployment/ns/llm: timeout"


def test_zero_replicas_disable_scaling_and_say_so():
    decision = reconcile(hpa(cpu_at(50)), inputs(0), HpaState())
    assert (decision.desired, decision.rescale, decision.reason, decision.error) == (0, False, "", None)
    assert decision.status.to_json() == {"desiredReplicas": 0, "conditions": [GOT_SCALE, {
        "type": "ScalingActive", "status": "False", "reason": "ScalingDisabled",
        "message": "scaling is disabled since the replica count of the target is zero", "lastTransitionTime": AT_NOW}]}


def test_zero_replicas_scaled_to_zero_by_the_hpa_rise_to_the_minimum():
    # minReplicas 2 and the HPA itself scaled to zero (ScaledToZero True): back to the minimum, whatever the load
    scaled = {"conditions": [{"type": "ScaledToZero", "status": "True", "reason": "ScaledToZero", "message": "",
                              "lastTransitionTime": "2026-01-05T09:00:00Z"}]}
    spec = hpa(external("queue", type="Value", value="10"), min_replicas=2, status=scaled)
    decision = reconcile(spec, inputs(0, external_metrics={"queue": [{"value": "0"}]}), HpaState())
    assert (decision.desired, decision.rescale, decision.reason) == (2, True, "")     # the bounds lift 0 to 2
    # scale-ups disabled: the bounds leave it at 0, and the way back from zero still goes to the minimum
    frozen = hpa(external("queue", type="Value", value="10"), min_replicas=2, status=scaled,
                 behavior={"scaleUp": {"selectPolicy": "Disabled"}})
    decision = reconcile(frozen, inputs(0, external_metrics={"queue": [{"value": "0"}]}), HpaState())
    assert (decision.desired, decision.rescale) == (2, True)
    assert decision.reason == "Current number of replicas below Spec.MinReplicas"
    # the same without the gate: the condition is not believed, scaling stays disabled and the condition goes
    off = reconcile(spec, inputs(0, external_metrics={"queue": [{"value": "0"}]}, gates=OLD), HpaState())
    assert (off.desired, off.rescale) == (0, False)
    assert [c["type"] for c in off.status.to_json()["conditions"]] == ["AbleToScale", "ScalingActive"]


def test_a_resource_only_hpa_at_zero_with_min_zero_stays_disabled():
    # min 0 needs an Object or External metric to come back from zero: a Resource metric alone cannot
    scaled = {"conditions": [{"type": "ScaledToZero", "status": "True", "reason": "ScaledToZero", "message": "",
                              "lastTransitionTime": "2026-01-05T09:00:00Z"}]}
    decision = reconcile(hpa(cpu_at(50), min_replicas=0, status=scaled), inputs(0), HpaState())
    assert condition(decision, "ScalingActive")["reason"] == "ScalingDisabled"


def test_above_the_maximum_goes_to_it_and_reports_current_and_desired():
    decision = reconcile(hpa(cpu_at(50), max_replicas=3), inputs(5, pod_metrics="down"), HpaState())
    assert (decision.desired, decision.rescale, decision.error) == (3, True, None)
    assert decision.status.to_json() == {"desiredReplicas": 3, "currentReplicas": 5, "conditions": [GOT_SCALE]}
    below = reconcile(hpa(cpu_at(50), min_replicas=4), inputs(2, pod_metrics="down"), HpaState())
    assert (below.desired, below.rescale) == (4, True)
    assert below.status.to_json() == {"desiredReplicas": 4, "currentReplicas": 2, "conditions": [GOT_SCALE]}


def test_at_the_bounds_the_metrics_decide():
    # exactly at max (3) or min (2): not outside the bounds, so the failing metric is what is reported
    at_max = reconcile(hpa(cpu_at(50), max_replicas=3), inputs(3, pod_metrics="down"), HpaState())
    at_min = reconcile(hpa(cpu_at(50), min_replicas=2), inputs(2, pod_metrics="down"), HpaState())
    for decision in (at_max, at_min):
        assert decision.rescale is False and decision.error is not None
        assert condition(decision, "ScalingActive")["reason"] == "FailedGetResourceMetric"


def test_cpu_utilization_scales_up_and_reports_the_metric():
    # (400 + 450 + 500)m of 3 x 500m requested = 90 % vs 50 %: 1.8 x 3 = 5.4 -> 6; max(2 x 3, 4) = 6 allows it
    usage = pod_metrics({"p0": "400m", "p1": "450m", "p2": "500m"})
    decision = reconcile(hpa(cpu_at(50)), inputs(3, pod_metrics=tuple(usage)), HpaState())
    assert (decision.desired, decision.rescale, decision.error) == (6, True, None)
    assert decision.reason == "cpu resource utilization (percentage of request) above target"
    status = decision.status.to_json()
    assert status["currentMetrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "current": {"averageUtilization": 90, "averageValue": "450m"}}}]
    assert (status["currentReplicas"], status["desiredReplicas"]) == (3, 6)
    assert condition(decision, "ScalingActive") == {
        "type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
        "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization "
                   "(percentage of request)", "lastTransitionTime": AT_NOW}
    assert decision.events == ()


def test_resource_metric_failures_name_the_resource_and_the_cause():
    no_target = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "AverageValue"}}}
    cause = ("invalid resource metric source: neither an average utilization target nor an average value "
             "(usage) target was set")
    decision = reconcile(hpa(no_target), inputs(2), HpaState())
    assert decision.events == (
        ("Warning", "FailedGetResourceMetric", cause),
        ("Warning", "FailedComputeMetricsReplicas",
         f"invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: {cause}"))
    assert condition(decision, "ScalingActive") == {
        "type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
        "message": f"the HPA was unable to compute the replica count: {cause}", "lastTransitionTime": AT_NOW}
    assert decision.status.to_json()["currentMetrics"] == [{"type": ""}]
    assert decision.status.to_json()["currentReplicas"] == 2

    api_down = reconcile(hpa(cpu_at(50)), inputs(2, pod_metrics="503"), HpaState())
    assert api_down.events[0] == ("Warning", "FailedGetResourceMetric",
                                  "failed to get cpu utilization: unable to get metrics for resource cpu: "
                                  "unable to fetch metrics from resource metrics API: 503")

    no_samples = reconcile(hpa(cpu_at(50)), inputs(2, pod_metrics=()), HpaState())
    assert no_samples.events[0][:2] == ("Warning", "FailedGetResourceMetric")
    assert no_samples.events[0][2].startswith("failed to get cpu utilization: unable to get metrics for resource cpu: ")

    no_requests = reconcile(hpa(cpu_at(50)), inputs(2, pods=(pod("p0", cpu=None), pod("p1", cpu=None)),
                                                    pod_metrics=tuple(pod_metrics({"p0": "1", "p1": "1"}))), HpaState())
    assert no_requests.events[0][:2] == ("Warning", "FailedGetResourceMetric")
    assert no_requests.events[0][2].startswith("failed to get cpu utilization: ")
    assert "unable to get metrics" not in no_requests.events[0][2]


def test_a_pods_metric_is_averaged_per_pod_against_its_average_value():
    # 900m + 1100m + 1300m over 3 pods = 1.1 per pod vs 500m: 2.2 x 3 = 6.6 -> 7, limited to max(2 x 3, 4) = 6
    items = [{"describedObject": {"kind": "Pod", "name": f"p{i}"}, "metricName": "queue", "value": v,
              "timestamp": "2026-01-05T10:00:00Z", "windowSeconds": 30} for i, v in enumerate(["900m", "1100m", "1300m"])]
    decision = reconcile(hpa(pods_metric("queue", "500m")), inputs(3, custom_metrics={"queue": items}), HpaState())
    assert (decision.desired, decision.reason) == (6, "pods metric queue above target")
    assert decision.status.to_json()["currentMetrics"] == [
        {"type": "Pods", "pods": {"metric": {"name": "queue"}, "current": {"averageValue": "1100m"}}}]
    assert condition(decision, "ScalingLimited")["reason"] == "ScaleUpLimit"


def test_pods_metric_failures_are_failed_get_pods_metric():
    down = reconcile(hpa(pods_metric("queue", "500m")), inputs(2, custom_metrics={"queue": "503"}), HpaState())
    cause = "unable to get metric queue: unable to fetch metrics from custom metrics API: 503"
    assert down.events[0] == ("Warning", "FailedGetPodsMetric", cause)
    assert down.error.endswith(f"first error is: failed to get pods metric value: {cause}")
    missing = reconcile(hpa(pods_metric("queue", "500m")), inputs(2), HpaState())
    assert missing.events[0][:2] == ("Warning", "FailedGetPodsMetric")
    assert missing.events[0][2].startswith("unable to get metric queue: ")
    bad_target = reconcile(hpa(pods_metric("queue", "lots")), inputs(2, custom_metrics={"queue": []}), HpaState())
    assert bad_target.events[0][:2] == ("Warning", "FailedGetPodsMetric")


def test_an_external_average_value_divides_the_total_by_the_status_replicas():
    # total 30 vs 5 per pod: ceil(30 / 5) = 6 from 2 status replicas, limited to max(2 x 2, 4) = 4
    spec = hpa(external("queue", type="AverageValue", averageValue="5"))
    decision = reconcile(spec, inputs(2, external_metrics={"queue": [{"value": "30"}]}), HpaState())
    assert (decision.desired, decision.reason) == (4, "external metric queue(<nil>) above target")
    assert decision.status.to_json()["currentMetrics"] == [
        {"type": "External", "external": {"metric": {"name": "queue"}, "current": {"averageValue": "15"}}}]
    down = reconcile(spec, inputs(2, external_metrics={"queue": "503"}), HpaState())
    assert down.events[0] == ("Warning", "FailedGetExternalMetric",
                              "unable to get external metric ns/queue/<nil>: "
                              "unable to fetch metrics from external metrics API: 503")
    assert down.error.endswith("first error is: failed to get queue external metric value: failed to get queue "
                               "external metric: unable to get external metric ns/queue/<nil>: "
                               "unable to fetch metrics from external metrics API: 503")


def test_an_external_metric_without_a_target_is_invalid():
    decision = reconcile(hpa(external("queue", type="Value")), inputs(2, external_metrics={"queue": [{"value": "3"}]}),
                         HpaState())
    cause = "invalid external metric source: neither a value target nor an average value target was set"
    assert decision.events[0] == ("Warning", "FailedGetExternalMetric", cause)
    assert decision.error.endswith(f"first error is: failed to get queue external metric value: {cause}")


def test_an_unknown_metric_type_is_named():
    decision = reconcile(hpa({"type": "ContainerResource"}), inputs(2), HpaState())
    error = 'unknown metric source type "ContainerResource"'
    assert decision.events[0] == ("Warning", "InvalidMetricSourceType", error)
    assert condition(decision, "ScalingActive")["message"] == f"the HPA was unable to compute the replica count: {error}"
    assert decision.error.endswith(f"invalid metrics (1 invalid out of 1), first error is: {error}")


def test_the_largest_proposal_wins_and_a_failure_after_it_is_still_reported():
    # queue: 30 vs 10 -> 3 x 2 = 6 limited to 4; other: 10 vs 10 -> keep 2; "broken" fails but 4 > 2 goes ahead
    spec = hpa(external("other", type="Value", value="10"), external("queue", type="Value", value="10"),
               external("broken", type="Value", value="10"))
    metrics = {"queue": [{"value": "30"}], "other": [{"value": "10"}], "broken": "503"}
    decision = reconcile(spec, inputs(2, external_metrics=metrics), HpaState())
    assert (decision.desired, decision.reason) == (4, "external metric queue(<nil>) above target")
    assert [m["type"] for m in decision.status.to_json()["currentMetrics"]] == ["External", "External", ""]
    assert decision.error.startswith("invalid metrics (1 invalid out of 3), first error is: failed to get broken")
    assert [e[1] for e in decision.events] == ["FailedGetExternalMetric"]


def test_a_proposal_equal_to_the_current_count_with_a_failure_is_not_a_scale_down():
    # 10 vs 10 at 2 pods: keep 2; a failing second metric blocks only a scale-down, so the sync goes on
    spec = hpa(external("queue", type="Value", value="10"), external("broken", type="Value", value="10"))
    decision = reconcile(spec, inputs(2, external_metrics={"queue": [{"value": "10"}], "broken": "503"}), HpaState())
    assert condition(decision, "ScalingActive")["reason"] == "ValidMetricFound"
    assert (decision.desired, decision.rescale, decision.reason) == (2, False, "")


def test_a_missing_selector_is_reported_on_scaling_active():
    decision = reconcile(hpa(cpu_at(50)), HpaInputs(now=NOW, current=2), HpaState())
    assert condition(decision, "ScalingActive") == {
        "type": "ScalingActive", "status": "False", "reason": "InvalidSelector",
        "message": "the HPA target's scale is missing a selector", "lastTransitionTime": AT_NOW}
    assert decision.events == (("Warning", "SelectorRequired", "selector is required"),
                               ("Warning", "FailedComputeMetricsReplicas", "selector is required"))
    assert decision.status.current_metrics == () and decision.status.current_replicas == 2


def test_a_successful_write_records_the_rescale():
    usage = pod_metrics({"p0": "500m", "p1": "500m"})
    state = HpaState()
    decision = finish(reconcile(hpa(cpu_at(50)), inputs(2, pod_metrics=tuple(usage)), state), state, NOW + 1)
    # 100 % vs 50 %: 2 x 2 = 4
    assert decision.desired == 4
    assert condition(decision, "AbleToScale") == {
        "type": "AbleToScale", "status": "True", "reason": "SucceededRescale",
        "message": "the HPA controller was able to update the target scale to 4", "lastTransitionTime": AT_NOW}
    assert condition(decision, "ScaledToZero") == {
        "type": "ScaledToZero", "status": "False", "reason": "NotScaledToZero",
        "message": "the HPA controller did not scale the workload to zero",
        "lastTransitionTime": "2026-01-05T10:00:01Z"}
    assert decision.status.to_json()["lastScaleTime"] == "2026-01-05T10:00:01Z"


def test_a_failed_write_is_said_and_keeps_the_previous_desired_count():
    usage = pod_metrics({"p0": "500m", "p1": "500m"})
    spec = hpa(cpu_at(50), status={"desiredReplicas": 2, "currentReplicas": 2})
    decision = finish(reconcile(spec, inputs(2, pod_metrics=tuple(usage)), HpaState()), HpaState(), NOW, "conflict")
    assert condition(decision, "AbleToScale") == {
        "type": "AbleToScale", "status": "False", "reason": "FailedUpdateScale",
        "message": "the HPA controller was unable to update the target scale: conflict", "lastTransitionTime": AT_NOW}
    assert decision.error == "failed to rescale Deployment/ns/llm: conflict"
    assert decision.status.desired_replicas == 2 and decision.status.last_scale_time is None


def test_scaling_to_zero_is_recorded_only_with_an_external_metric_and_min_zero():
    def to_zero(spec, gates=HpaGates()):
        state = HpaState()
        decided = reconcile(spec, inputs(2, external_metrics={"queue": [{"value": "0"}]}, gates=gates), state)
        return finish(decided, state, NOW)

    zero = external("queue", type="Value", value="10")
    scaled = to_zero(hpa(zero, min_replicas=0, behavior={"scaleDown": {"stabilizationWindowSeconds": 0}}))
    assert scaled.desired == 0
    assert condition(scaled, "ScaledToZero") == {
        "type": "ScaledToZero", "status": "True", "reason": "ScaledToZero",
        "message": "the HPA controller scaled the workload to zero", "lastTransitionTime": AT_NOW}
    # min 1: the HPA keeps one, and says it did not scale to zero
    kept = to_zero(hpa(zero, min_replicas=1, behavior={"scaleDown": {"stabilizationWindowSeconds": 0}}))
    assert kept.desired == 1 and condition(kept, "ScaledToZero")["status"] == "False"
    # without the gate the condition is not kept at all
    old = to_zero(hpa(zero, min_replicas=1, behavior={"scaleDown": {"stabilizationWindowSeconds": 0}}), OLD)
    assert old.status.condition("ScaledToZero") is None


def test_a_scale_event_is_remembered_for_the_policies_only_with_a_behaviour():
    usage = tuple(pod_metrics({"p0": "500m", "p1": "500m"}))
    with_rules, without = HpaState(), HpaState()
    finish(reconcile(hpa(cpu_at(50), behavior={}), inputs(2, pod_metrics=usage), with_rules), with_rules, NOW)
    finish(reconcile(hpa(cpu_at(50)), inputs(2, pod_metrics=usage), without), without, NOW)
    # 100 % vs 50 %: 2 -> 4 is a scale-up of 2 pods at NOW
    assert with_rules.up_events == [(NOW, 2)] and without.up_events == []


def test_behaviour_tolerances_widen_each_direction_apart():
    # 7 vs 10 = 0.7: outside the default 10 % band, inside a 40 % scale-down tolerance
    spec = hpa(external("queue", type="Value", value="10"),
               behavior={"scaleDown": {"tolerance": "0.4", "stabilizationWindowSeconds": 0}})
    load = {"queue": [{"value": "7"}]}
    assert reconcile(spec, inputs(4, external_metrics=load), HpaState()).desired == 4
    # the scale-up tolerance is still 10 %: 12 vs 10 = 1.2 -> ceil(1.2 x 4) = 5
    assert reconcile(spec, inputs(4, external_metrics={"queue": [{"value": "12"}]}), HpaState()).desired == 5
    # without the gate the default band: 0.7 x 4 = 2.8 -> 3
    assert reconcile(spec, inputs(4, external_metrics=load, gates=OLD), HpaState()).desired == 3


def test_the_status_read_back_keeps_its_fields():
    status = HpaStatus.from_json({"currentReplicas": 3, "desiredReplicas": 4, "lastScaleTime": AT_NOW,
                                  "currentMetrics": [{"type": "External"}],
                                  "conditions": [{"type": "AbleToScale", "status": "True", "reason": "R",
                                                  "message": "M", "lastTransitionTime": AT_NOW}]})
    assert status.to_json() == {"currentReplicas": 3, "desiredReplicas": 4, "lastScaleTime": AT_NOW,
                                "currentMetrics": [{"type": "External"}],
                                "conditions": [{"type": "AbleToScale", "status": "True", "reason": "R",
                                                "message": "M", "lastTransitionTime": AT_NOW}]}


def test_a_target_without_kind_name_or_namespace_is_named_empty():
    bare = {"metadata": {}, "spec": {"maxReplicas": 10, "metrics": [external("queue", type="Value", value="10")]}}
    failed = reconcile(bare, HpaInputs(now=NOW, current=2, scale_error="boom"), HpaState())
    assert failed.error == "failed to query scale subresource for //: boom"
    missing = reconcile(bare, inputs(2, external_metrics={"queue": "503"}), HpaState())
    assert missing.events[0][2] == ("unable to get external metric /queue/<nil>: "
                                    "unable to fetch metrics from external metrics API: 503")


def test_a_metric_the_external_api_does_not_list_is_no_metrics():
    decision = reconcile(hpa(external("queue", type="Value", value="10")), inputs(2), HpaState())
    assert decision.events[0] == ("Warning", "FailedGetExternalMetric", "unable to get external metric ns/queue/<nil>: "
                                  "no metrics returned from external metrics API")


def test_a_failing_metric_still_reports_that_the_scale_was_read():
    decision = reconcile(hpa(cpu_at(50)), inputs(2, pod_metrics="503"), HpaState())
    assert condition(decision, "AbleToScale") == GOT_SCALE
    assert decision.error.endswith("first error is: failed to get cpu resource metric value: failed to get cpu "
                                   "utilization: unable to get metrics for resource cpu: unable to fetch metrics "
                                   "from resource metrics API: 503")
    no_target = {"type": "Resource", "resource": {"name": "cpu", "target": {}}}
    assert reconcile(hpa(no_target), inputs(2), HpaState()).error.endswith(
        "first error is: failed to get cpu resource metric value: invalid resource metric source: neither an "
        "average utilization target nor an average value (usage) target was set")


def test_no_metrics_at_all_is_a_failure_with_an_empty_error():
    decision = reconcile(hpa(), inputs(2), HpaState())
    assert decision.error == "failed to compute desired number of replicas based on listed metrics for Deployment/ns/llm: "
    assert decision.rescale is False and decision.status.condition("ScalingActive") is None


def test_a_failing_first_metric_does_not_hide_the_next():
    spec = hpa(external("broken", type="Value", value="10"), external("queue", type="Value", value="10"))
    decision = reconcile(spec, inputs(2, external_metrics={"queue": [{"value": "30"}], "broken": "503"}), HpaState())
    # queue: 30 vs 10 -> 6, limited to max(2 x 2, 4) = 4
    assert (decision.desired, decision.reason) == (4, "external metric queue(<nil>) above target")
    assert decision.status.to_json()["currentMetrics"] == [
        {"type": ""}, {"type": "External", "external": {"metric": {"name": "queue"}, "current": {"value": "30"}}}]


def test_the_first_of_equal_proposals_names_the_metric_and_a_zero_proposal_counts():
    spec = hpa(external("first", type="Value", value="10"), external("second", type="Value", value="10"))
    tie = reconcile(spec, inputs(2, external_metrics={"first": [{"value": "30"}], "second": [{"value": "30"}]}),
                    HpaState())
    assert tie.reason == "external metric first(<nil>) above target"
    # min 0: both propose 0 (0 vs 10); the first is the metric named
    zero = reconcile(hpa(external("first", type="Value", value="10"), min_replicas=0,
                         behavior={"scaleDown": {"stabilizationWindowSeconds": 0}}),
                     inputs(2, external_metrics={"first": [{"value": "0"}]}), HpaState())
    assert zero.desired == 0
    assert condition(zero, "ScalingActive")["message"] == ("the HPA was able to successfully calculate a replica "
                                                           "count from external metric first(<nil>)")
    # 1 then 0 proposed: the larger, 1, wins
    spec = hpa(external("first", type="Value", value="10"), external("second", type="Value", value="10"),
               min_replicas=0, behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    mixed = reconcile(spec, inputs(2, external_metrics={"first": [{"value": "5"}], "second": [{"value": "0"}]}),
                      HpaState())
    assert mixed.desired == 1                                     # 5 vs 10 x 2 ready = 1


def test_cpu_inside_the_band_keeps_the_count():
    usage = pod_metrics({"p0": "250m", "p1": "260m"})          # 51 % of 50 %: inside 10 %
    decision = reconcile(hpa(cpu_at(50)), inputs(2, pod_metrics=tuple(usage)), HpaState())
    assert (decision.desired, decision.rescale) == (2, False)


def test_back_from_zero_to_a_minimum_of_one():
    scaled = {"conditions": [{"type": "ScaledToZero", "status": "True", "reason": "ScaledToZero", "message": "",
                              "lastTransitionTime": "2026-01-05T09:00:00Z"}]}
    frozen = hpa(external("queue", type="Value", value="10"), min_replicas=1, status=scaled,
                 behavior={"scaleUp": {"selectPolicy": "Disabled"}})
    decision = reconcile(frozen, inputs(0, external_metrics={"queue": [{"value": "0"}]}), HpaState())
    assert (decision.desired, decision.rescale) == (1, True)


def test_an_object_metric_makes_an_hpa_able_to_come_back_from_zero():
    scaled = {"conditions": [{"type": "ScaledToZero", "status": "True", "reason": "ScaledToZero", "message": "",
                              "lastTransitionTime": "2026-01-05T09:00:00Z"}]}
    decision = reconcile(hpa({"type": "Object"}, min_replicas=0, status=scaled), inputs(0), HpaState())
    # not disabled: the metrics are read (and the Object kind is one this port does not compute)
    assert condition(decision, "ScalingActive")["reason"] == "InvalidMetricSourceType"


def test_scaled_to_zero_is_said_from_one_and_not_for_a_scale_up_with_min_zero():
    def write(spec, current, value):
        state = HpaState()
        return finish(reconcile(spec, inputs(current, external_metrics={"queue": [{"value": value}]}), state),
                      state, NOW)

    zero = hpa(external("queue", type="Value", value="10"), min_replicas=0,
               behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    from_one = write(zero, 1, "0")
    assert from_one.desired == 0 and condition(from_one, "ScaledToZero")["status"] == "True"
    up = write(zero, 2, "40")              # 40 vs 10 x 2 -> 8, limited by the default policies to max(2 + 4, 2 x 2)
    assert up.desired == 6 and condition(up, "ScaledToZero")["status"] == "False"


def test_without_the_gate_a_write_drops_an_old_scaled_to_zero_condition():
    scaled = {"conditions": [{"type": "ScaledToZero", "status": "False", "reason": "NotScaledToZero", "message": "",
                              "lastTransitionTime": "2026-01-05T09:00:00Z"}]}
    spec = hpa(external("queue", type="Value", value="10"), status=scaled)
    state = HpaState()
    decision = finish(reconcile(spec, inputs(2, external_metrics={"queue": [{"value": "40"}]}, gates=OLD), state),
                      state, NOW)
    assert decision.rescale and decision.status.condition("ScaledToZero") is None

