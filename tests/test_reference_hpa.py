"""The HPA controller over time (horizontal.go, v1.37): stabilization, policies, bounds, failures, zero."""
import math

from hypothesis import given, settings, strategies as st

from support.reference.hpa import HpaGates, HpaInputs, HpaState, apply_defaults, finish, reconcile
from support.reference.hpa_status import validation_errors
from support.reference.hpa_mapping import build_hpa
from test_reference_hpa_mapping import scaler, source
from test_reference_hpa_replicas import NOW, pod


def external_hpa(behavior=None, min_replicas=1, max_replicas=10, value="10", metric="queue"):
    return build_hpa(scaler([source("external", metric, value)], behavior, min_replicas, max_replicas))


class Hpa:
    """One HPA synced every 15 s against an external metric; the target follows each decision."""

    def __init__(self, hpa, replicas):
        self.hpa, self.replicas, self.state, self.now = hpa, replicas, HpaState(), NOW

    def sync(self, reading, write_error=None):
        pods = tuple(pod(f"p{i}") for i in range(self.replicas))
        metrics = reading if isinstance(reading, str) else [{"metricName": "queue", "value": str(reading)}]
        inputs = HpaInputs(now=self.now, current=self.replicas, status_replicas=self.replicas,
                           selector="app=llm", pods=pods, external_metrics={"queue": metrics})
        decision = finish(reconcile(self.hpa, inputs, self.state), self.state, self.now, write_error)
        if decision.rescale and write_error is None:
            self.replicas = decision.desired
        self.hpa = {**self.hpa, "status": decision.status.to_json()}
        self.now += 15
        return decision

    def condition(self, type_):
        return next(c for c in self.hpa["status"]["conditions"] if c["type"] == type_)


def test_scale_up_is_immediate_and_limited_to_twice_or_four():
    # no behaviour: 100 vs 10 wants 10 x 1 ready = 10, limited to max(2 x 1, 4) = 4
    hpa = Hpa(external_hpa(max_replicas=20), 1)
    decision = hpa.sync(100)
    assert (decision.desired, hpa.replicas) == (4, 4)
    assert decision.reason == "external metric queue(<nil>) above target"
    assert hpa.condition("ScalingLimited")["reason"] == "ScaleUpLimit"
    assert decision.events[-1] == ("Normal", "SuccessfulRescale",
                                   "New size: 4; reason: external metric queue(<nil>) above target")
    assert hpa.hpa["status"]["lastScaleTime"] == "2026-01-05T10:00:00Z"
    assert hpa.sync(100).desired == 8                                  # max(2 x 4, 4)


def test_scale_down_waits_for_the_highest_recommendation_of_300_s():
    hpa = Hpa(external_hpa(), 4)
    # 10 vs 10 at 4 pods: inside the band; then the load halves: 5/10 x 4 = 2 wanted
    hpa.sync(10)
    held = [hpa.sync(5).desired for _ in range(20)]          # syncs at 15 .. 300 s
    assert held == [4] * 20
    assert hpa.condition("AbleToScale")["reason"] == "ScaleDownStabilized"
    # at 315 s the 4s recorded at 0 s (and the initial one) are older than 300 s
    decision = hpa.sync(5)
    assert (decision.desired, decision.reason) == (2, "All metrics below target")


def test_behaviour_defaults_pods_4_or_percent_100_per_15_s():
    hpa = Hpa(external_hpa({"scaleDown": {"stabilizationWindowSeconds": 0}}, max_replicas=50), 2)
    # wants 100 vs 10 -> 10 x 2 = 20; in 15 s: max(2 + 4, ceil(2 x 2)) = 6
    assert hpa.sync(100).desired == 6
    # 15 s later the event at 0 s is not after the cutoff: from 6, max(10, 12) = 12
    assert hpa.sync(100).desired == 12


def test_policies_count_the_scale_events_of_their_period():
    behavior = {"scaleUp": {"policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}]}}
    hpa = Hpa(external_hpa(behavior, max_replicas=50), 2)
    desired = [hpa.sync(1000).desired for _ in range(6)]     # 0, 15, 30, 45, 60, 75 s
    # +2 at 0 s; the period holds it until 60 s; then +2 again
    assert desired == [4, 4, 4, 4, 6, 6]
    assert hpa.condition("ScalingLimited")["reason"] == "ScaleUpLimit"


def test_select_min_and_disabled():
    two = [{"type": "Pods", "value": 1, "periodSeconds": 60}, {"type": "Percent", "value": 100, "periodSeconds": 60}]
    assert Hpa(external_hpa({"scaleUp": {"policies": two, "selectPolicy": "Min"}}), 2).sync(1000).desired == 3
    assert Hpa(external_hpa({"scaleUp": {"policies": two}}), 2).sync(1000).desired == 4
    disabled = Hpa(external_hpa({"scaleUp": {"selectPolicy": "Disabled"}}), 2)
    decision = disabled.sync(1000)
    assert (decision.desired, decision.rescale) == (2, False)


def test_scale_down_policy_and_window_with_behaviour():
    behavior = {"scaleDown": {"stabilizationWindowSeconds": 30,
                              "policies": [{"type": "Pods", "value": 1, "periodSeconds": 30}]}}
    hpa = Hpa(external_hpa(behavior), 6)
    seen = [hpa.sync(10 if i == 0 else 1).desired for i in range(7)]   # load falls after the first sync
    # window 30 s: 6 recorded at 0 s holds at 15 s and 30 s? It counts while strictly newer than now - 30:
    # at 15 s yes (hold 6), at 30 s no -> 1 wanted, Pods 1/30 s -> 5; 45 s: event at 30 s in period: hold;
    # 60 s: -> 4; 75 s: hold; 90 s: -> 3
    assert seen == [6, 6, 5, 5, 4, 4, 3]


def test_scale_up_stabilization_window():
    hpa = Hpa(external_hpa({"scaleUp": {"stabilizationWindowSeconds": 30}}), 2)
    seen = [hpa.sync(10 if i == 0 else 20).desired for i in range(4)]
    # a Value target is a total: 20 vs 10 wants twice the ready pods, 4 from 15 s, 8 from 45 s.
    # The lowest recommendation strictly newer than now - 30 s bounds it: 2 (0 s) holds at 15 s,
    # 4 (30 s) holds at 45 s
    assert seen == [2, 2, 4, 4]
    assert hpa.condition("AbleToScale")["reason"] == "ScaleUpStabilized"
    assert hpa.sync(20).desired == 8


def test_outside_the_bounds_goes_to_the_bound_without_metrics():
    above = Hpa(external_hpa(max_replicas=3), 5)
    decision = above.sync("metrics are down")
    assert (decision.desired, decision.reason) == (3, "Current number of replicas above Spec.MaxReplicas")
    below = Hpa(external_hpa(min_replicas=2), 1)
    assert below.sync(0).reason == "Current number of replicas below Spec.MinReplicas"


def test_metric_failure_keeps_the_replicas_and_says_why():
    hpa = Hpa(external_hpa(), 3)
    decision = hpa.sync("connection refused")
    assert (decision.rescale, hpa.replicas) == (False, 3)
    active = hpa.condition("ScalingActive")
    assert (active["status"], active["reason"]) == ("False", "FailedGetExternalMetric")
    assert active["message"] == ("the HPA was unable to compute the replica count: unable to get external metric "
                                 "ns/queue/<nil>: unable to fetch metrics from external metrics API: connection refused")
    assert decision.error.startswith("failed to compute desired number of replicas based on listed metrics for "
                                     "Deployment/ns/llm: invalid metrics (1 invalid out of 1), first error is: "
                                     "failed to get queue external metric value: failed to get external metric queue:")
    assert hpa.sync(30).rescale and hpa.condition("ScalingActive")["reason"] == "ValidMetricFound"


def test_one_failing_metric_blocks_a_scale_down_but_not_a_scale_up():
    hpa_obj = build_hpa(scaler([source("external", "queue", "10"), source("external", "other", "10")]))
    state = HpaState()

    def sync(queue, current):
        inputs = HpaInputs(now=NOW + 400, current=current, status_replicas=current, selector="app=llm",
                           pods=tuple(pod(f"p{i}") for i in range(current)),
                           external_metrics={"queue": [{"value": str(queue)}], "other": "timeout"})
        return reconcile(hpa_obj, inputs, state)

    # 40 vs 10 at 2 ready: 8 wanted, limited to max(2 x 2, 4) = 4; the failure is reported, not blocking
    up = sync(40, 2)
    assert up.desired == 4 and up.error.startswith("invalid metrics (1 invalid out of 2)")
    assert sync(1, 4).rescale is False


def test_zero_replicas_disable_scaling_unless_the_hpa_scaled_to_zero():
    manual = Hpa(external_hpa(min_replicas=0), 0)
    decision = manual.sync(100)
    assert (decision.rescale, manual.condition("ScalingActive")["reason"]) == (False, "ScalingDisabled")
    hpa = Hpa(external_hpa({"scaleDown": {"stabilizationWindowSeconds": 0}}, min_replicas=0), 2)
    assert hpa.sync(0).desired == 0                              # 0 vs 10: ceil(0 x 2) = 0
    assert hpa.condition("ScaledToZero")["status"] == "True"
    assert hpa.sync(0).rescale is False                           # at 0, still 0
    assert hpa.sync(25).desired == 3                              # from zero: ceil(25/10)


def test_failed_write_keeps_the_previous_desired_count():
    hpa = Hpa(external_hpa(), 2)
    hpa.sync(10)
    decision = hpa.sync(40, write_error="conflict")
    assert hpa.replicas == 2 and decision.status.desired_replicas == 2
    assert hpa.condition("AbleToScale")["reason"] == "FailedUpdateScale"
    assert decision.events[-1] == ("Warning", "FailedRescale",
                                   "New size: 4; reason: external metric queue(<nil>) above target; error: conflict")


def test_condition_transition_time_moves_only_with_the_status():
    hpa = Hpa(external_hpa(), 2)
    hpa.sync(10)
    first = hpa.condition("ScalingActive")["lastTransitionTime"]
    hpa.sync(12)
    assert hpa.condition("ScalingActive")["lastTransitionTime"] == first
    hpa.sync("down")
    assert hpa.condition("ScalingActive")["lastTransitionTime"] == "2026-01-05T10:00:30Z"


def test_missing_selector():
    inputs = HpaInputs(now=NOW, current=2, selector="")
    decision = reconcile(apply_defaults(external_hpa()), inputs, HpaState())
    assert decision.events[0] == ("Warning", "SelectorRequired", "selector is required")
    assert not decision.rescale


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=40),
       st.integers(min_value=1, max_value=6))
def test_default_hpa_stays_in_bounds_and_in_its_stride(readings, start):
    # no behaviour: always within [1, 12], at most max(2 x current, 4) per sync, and a scale-down
    # never below a metric recommendation of the last 300 s (Value target 10 = 10000 milli)
    hpa = Hpa(external_hpa(min_replicas=1, max_replicas=12), start)
    recommendations = [(hpa.now, start)]            # the HPA records the replicas it first sees
    for reading in readings:
        before, now = hpa.replicas, hpa.now
        hpa.sync(reading)
        ratio = reading * 1000 / 10000
        recommendations.append((now, before if 0.9 <= ratio <= 1.1 else math.ceil(ratio * before)))
        assert 1 <= hpa.replicas <= 12
        assert hpa.replicas <= max(2 * before, 4)
        if hpa.replicas < before:
            assert hpa.replicas >= min(12, max(r for t, r in recommendations if t >= now - 300))


def test_without_the_scale_to_zero_gate_zero_stays_disabled():
    # a cluster older than v1.37 (the embedded one reports v1.31): HPAScaleToZero off
    old = HpaGates(scale_to_zero=False, configurable_tolerance=False)
    hpa_obj = external_hpa(min_replicas=1)
    hpa_obj["status"] = {"conditions": [{"type": "ScaledToZero", "status": "True", "reason": "ScaledToZero",
                                         "message": "", "lastTransitionTime": "2026-01-05T09:00:00Z"}]}
    inputs = HpaInputs(now=NOW, current=0, selector="app=llm", external_metrics={"queue": [{"value": "50"}]},
                       gates=old)
    decision = reconcile(hpa_obj, inputs, HpaState())
    assert not decision.rescale and decision.status.condition("ScaledToZero") is None
    assert validation_errors(apply_defaults(external_hpa(min_replicas=0)), old) == [
        "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1"]


def test_behaviour_tolerance_needs_its_gate():
    hpa_obj = build_hpa(scaler([source("external", "queue", "10")]))
    hpa_obj["spec"]["behavior"] = {"scaleUp": {"tolerance": "0.5"}}
    inputs = dict(now=NOW, current=2, status_replicas=2, selector="app=llm", pods=(pod("a"), pod("b")),
                  external_metrics={"queue": [{"value": "14"}]})
    # 14 vs 10 = 1.4: inside a 50 % scale-up tolerance (v1.37), outside the default 10 % without the gate
    assert reconcile(hpa_obj, HpaInputs(**inputs), HpaState()).desired == 2
    off = HpaInputs(**inputs, gates=HpaGates(configurable_tolerance=False))
    assert reconcile(hpa_obj, off, HpaState()).desired == 3
