"""BudScaler (§4.3) worked by hand, under the contract and as-built models."""
import math

import pytest

from support.reference.budscaler import (CostMetrics, GPUMetrics, PredictionData,
                                         RecommendationError, ScaleRequest, recommend)
from support.reference.metrics import snapshot
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.scaling_context import ScalingContext
from support.reference.spec import ScalerSpec
from support.reference.stabilization import RecommendationWindow

NOW = 1_000_000.0


def make_spec(min_replicas=1, max_replicas=10, behavior=None, sources=None, **extra):
    spec = {
        "scaleTargetRef": {"kind": "Deployment", "name": "llm"},
        "minReplicas": min_replicas, "maxReplicas": max_replicas,
        "metricsSources": sources or [{"metricSourceType": "pod", "targetMetric": "load",
                                       "targetValue": "70"}],
    }
    if behavior:
        spec["behavior"] = behavior
    spec.update(extra)
    return ScalerSpec.from_object({"spec": spec})


def request(value=None, current=1, ready=None, starting=0, spec=None, annotations=None,
            last_scale_time=None, snapshots=None, now=NOW, **kw):
    spec = spec or make_spec()
    ctx = ScalingContext.build(spec, annotations or {})
    if snapshots is None:
        snapshots = {} if value is None else {"load": snapshot([value])}
    return ScaleRequest(spec, ctx, current, current if ready is None else ready, starting,
                        snapshots, now, last_scale_time, **kw)


def rec(req, model=CONTRACT, window=None):
    return recommend(req, model, window or RecommendationWindow())


# Hand-worked per §4.3 step 1, target 70, default rates, no history:
#  85 @1: r=1.214 x=1*(1+.8*.214)=1.171 -> ceil 2, cap ceil(2)=2          -> 2
#  85 @2: x=2.343 -> 3 (cap 4)                                              -> 3
# 100 @1: r=1.429 x=1.343 -> 2                                              -> 2
# 100 @3: x=4.029 -> 5 (cap 6)                                              -> 5
#  30 @2: r=.4286 x=2*(1-.2857)=1.429 -> round 1, floor(1)=1                -> 1
#  30 @3: x=2.143 -> 2, floor(1.5)=1                                        -> 2
#  20 @3: r=.2857 x=1.929 -> 2                                              -> 2
#  20 @2: x=1.286 -> 1                                                      -> 1
#  20 @1: x=.643 -> 1                                                       -> 1
#   0 @3: zero load -> minReplicas 1                                        -> 1
@pytest.mark.parametrize("value, current, expected", [
    (85, 1, 2), (85, 2, 3), (100, 1, 2), (100, 2, 3), (100, 3, 5),
    (30, 1, 1), (30, 2, 1), (30, 3, 2), (20, 3, 2), (20, 2, 1), (20, 1, 1),
    (0, 1, 1), (0, 2, 1), (0, 3, 1),
])
@pytest.mark.parametrize("model", [CONTRACT, AS_BUILT])
def test_target_70_hand_worked(value, current, expected, model):
    # no down-window/cooldown: both models then agree outside the tolerance band
    spec = make_spec(behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    assert rec(request(value, current, spec=spec), model).replicas == expected


def test_two_to_one_needs_ratio_below_half():
    spec = make_spec(behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    assert rec(request(35, 2, spec=spec)).replicas == 2     # ratio 0.5: x = 1.5 rounds to 2
    assert rec(request(34.9, 2, spec=spec)).replicas == 1


def test_just_above_target_as_built_adds_a_replica():
    # 70.1/70 = 1.0014 > 1 + 0.001 -> ceil(1.0011) = 2; the contract band (10 %) holds
    assert rec(request(70.1, 1), AS_BUILT).replicas == 2
    assert rec(request(70.1, 1), CONTRACT).replicas == 1


def test_tolerance_74_vs_70():
    assert rec(request(74, 1), CONTRACT).replicas == 1
    assert rec(request(74, 1), AS_BUILT).replicas == 2


def test_tolerance_10_as_built_is_ten_percent():
    ann = {"scaler.bud.studio/scale-up-tolerance": "10"}
    assert rec(request(74, 1, annotations=ann), AS_BUILT).replicas == 1


def test_baseline_inside_tolerance():
    # ready 3 + 0.5*2 starting = 4 > current 3: ratio 1.05 inside the 10 % band
    ann = {"scaler.bud.studio/scale-up-tolerance": "10"}
    spec = make_spec(behavior={"scaleUp": {"startingPods": {"maxStartingPodPercent": 0}}})
    req = request(73.5, 3, ready=3, starting=2, spec=spec, annotations=ann)
    assert rec(req, AS_BUILT).replicas == 4
    contract_req = request(73.5, 3, ready=3, starting=2, spec=spec)
    assert rec(contract_req, CONTRACT).replicas == 3


def test_baseline_used_above_target():
    # baseline ceil(4 + 0.5*2) = 5 > current 4; 100/70: x = 5*1.343 = 6.71 -> 7
    spec = make_spec(behavior={"scaleUp": {"startingPods": {"maxStartingPodPercent": 0}}})
    assert rec(request(100, 4, ready=4, starting=2, spec=spec)).replicas == 7


def test_rate_caps():
    # 700/70: x = 1*(1+.8*9) = 8.2 -> 9, capped at ceil(1*2) = 2
    assert rec(request(700, 1)).replicas == 2
    spec = make_spec(behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    # 7/70 @8: x = 8*.55 = 4.4 -> 4, floor(8*.5) = 4
    assert rec(request(7, 8, spec=spec)).replicas == 4
    ann = {"scaler.bud.studio/max-scale-up-rate": "3"}
    assert rec(request(700, 1, annotations=ann)).replicas == 3


def test_clamp_to_min_and_max():
    spec = make_spec(min_replicas=2, max_replicas=4,
                     behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    assert rec(request(100, 3, spec=spec)).replicas == 4
    assert rec(request(0, 3, spec=spec)).replicas == 2
    assert rec(request(70, 1, spec=spec)).replicas == 2    # below min: raised


def test_no_usable_metric_keeps_current():
    assert rec(request(None, 3)).replicas == 3
    spec = make_spec(sources=[{"metricSourceType": "pod", "targetMetric": "load",
                               "targetValue": "abc"}])
    assert rec(request(100, 3, spec=spec)).replicas == 3


def test_max_over_sources():
    spec = make_spec(sources=[
        {"metricSourceType": "pod", "targetMetric": "a", "targetValue": "70"},
        {"metricSourceType": "pod", "targetMetric": "b", "targetValue": "10"}])
    req = request(current=2, spec=spec, snapshots={"a": snapshot([70]), "b": snapshot([20])})
    result = rec(req)
    assert result.replicas == 4           # b: r=2 x=2*1.8=3.6 -> 4
    assert (result.metric_used, result.current_value, result.target_value) == ("a", 70.0, 70.0)


@pytest.mark.parametrize("policies, select, expected", [
    ([{"type": "Pods", "value": 1, "periodSeconds": 60}], None, 4),
    ([{"type": "Percent", "value": 10, "periodSeconds": 60}], None, 4),   # trunc(0.3) -> 1
    ([{"type": "Percent", "value": 100, "periodSeconds": 60}], None, 6),
    ([{"type": "Pods", "value": 1, "periodSeconds": 60},
      {"type": "Pods", "value": 2, "periodSeconds": 60}], None, 5),
    ([{"type": "Pods", "value": 1, "periodSeconds": 60},
      {"type": "Pods", "value": 2, "periodSeconds": 60}], "Min", 4),
    ([{"type": "Pods", "value": 2, "periodSeconds": 60}], "Disabled", 3),
    ([{"type": "Percent", "value": 0, "periodSeconds": 60}], None, 3),
    ([], "Disabled", 3),      # contract: Disabled freezes the direction even without policies
])
def test_scale_up_policies(policies, select, expected):
    up = {"policies": policies}
    if select:
        up["selectPolicy"] = select
    # 200/70 @3: x = 3*(1+.8*1.857) = 7.46 -> 8, capped ceil(6) = 6
    assert rec(request(200, 3, spec=make_spec(behavior={"scaleUp": up}))).replicas == expected


@pytest.mark.parametrize("policies, select, expected", [
    ([{"type": "Pods", "value": 1, "periodSeconds": 60}], None, 7),
    ([{"type": "Pods", "value": 1, "periodSeconds": 60},
      {"type": "Pods", "value": 3, "periodSeconds": 60}], None, 7),
    ([{"type": "Pods", "value": 1, "periodSeconds": 60},
      {"type": "Pods", "value": 3, "periodSeconds": 60}], "Max", 5),
    ([{"type": "Percent", "value": 25, "periodSeconds": 60}], None, 6),
    ([{"type": "Pods", "value": 1, "periodSeconds": 60}], "Disabled", 8),
])
def test_scale_down_policies(policies, select, expected):
    down = {"policies": policies, "stabilizationWindowSeconds": 0}
    if select:
        down["selectPolicy"] = select
    # 7/70 @8 -> 4 before policies
    assert rec(request(7, 8, spec=make_spec(behavior={"scaleDown": down}))).replicas == expected


def test_scale_down_policy_floor_is_one_not_min():
    down = {"policies": [{"type": "Pods", "value": 10, "periodSeconds": 60}],
            "stabilizationWindowSeconds": 0}
    spec = make_spec(min_replicas=0, behavior={"scaleDown": down})
    assert rec(request(1, 2, spec=spec)).replicas == 1


def test_starting_pods_gate_blocks_scale_up():
    # 1 ready + 1 starting: 50 % starting >= default 50 -> gated
    result = rec(request(100, 2, ready=1, starting=1))
    assert (result.replicas, result.unstabilized, result.direction) == (2, 2, "none")
    spec = make_spec(behavior={"scaleUp": {"startingPods": {"maxStartingPodPercent": 0}}})
    assert rec(request(100, 2, ready=1, starting=1, spec=spec)).replicas == 3


def test_gate_also_blocks_raising_to_min_as_built_but_the_minimum_wins_in_the_contract():
    spec = make_spec(min_replicas=3)
    assert rec(request(70, 2, ready=1, starting=1, spec=spec), AS_BUILT).replicas == 2
    assert rec(request(70, 2, ready=1, starting=1, spec=spec), CONTRACT).replicas == 3


def test_as_built_down_cooldown_since_last_scale():
    req = request(20, 3, last_scale_time=NOW - 299)
    assert rec(req, AS_BUILT).replicas == 3
    assert rec(request(20, 3, last_scale_time=NOW - 300), AS_BUILT).replicas == 2
    assert rec(request(20, 3, last_scale_time=None), AS_BUILT).replicas == 2


def test_as_built_up_cooldown():
    spec = make_spec(behavior={"scaleUp": {"stabilizationWindowSeconds": 60}})
    assert rec(request(100, 1, spec=spec, last_scale_time=NOW - 30), AS_BUILT).replicas == 1
    assert rec(request(100, 1, spec=spec, last_scale_time=NOW - 60), AS_BUILT).replicas == 2


def test_contract_down_window_uses_the_highest_recent_recommendation():
    window = RecommendationWindow()
    assert rec(request(70, 3, now=NOW), CONTRACT, window).replicas == 3
    # load drops: recommendations of the last 300 s include 3 -> stays 3
    assert rec(request(20, 3, now=NOW + 10), CONTRACT, window).replicas == 3
    assert rec(request(20, 3, now=NOW + 299), CONTRACT, window).replicas == 3
    # the 3 recorded at NOW has left the window; last_scale_time plays no part
    result = rec(request(20, 3, now=NOW + 300, last_scale_time=NOW + 299), CONTRACT, window)
    assert (result.replicas, result.direction) == (2, "down")


def test_contract_down_window_picks_the_max_not_current():
    window = RecommendationWindow()
    spec = make_spec(behavior={"scaleDown": {"stabilizationWindowSeconds": 60}})
    rec(request(70, 8, spec=spec, now=NOW), CONTRACT, window)          # records 8
    rec(request(42, 8, spec=spec, now=NOW + 30), CONTRACT, window)     # 8*.8 = 6.4 -> 6
    # 7/70 @8 -> 4; window holds 8 (t=NOW, expired at NOW+60), 6
    assert rec(request(7, 8, spec=spec, now=NOW + 60), CONTRACT, window).replicas == 6


def test_contract_up_window_uses_the_lowest_recent_recommendation():
    window = RecommendationWindow()
    spec = make_spec(behavior={"scaleUp": {"stabilizationWindowSeconds": 60}})
    rec(request(70, 2, spec=spec, now=NOW), CONTRACT, window)
    assert rec(request(100, 2, spec=spec, now=NOW + 10), CONTRACT, window).replicas == 2
    assert rec(request(100, 2, spec=spec, now=NOW + 61), CONTRACT, window).replicas == 3


def test_gpu_step_raises_only():
    spec = make_spec(gpuConfig={"enabled": True, "gpuMemoryThreshold": 80,
                                "gpuComputeThreshold": 70})
    gpu = GPUMetrics(memory_utilization=90.0, compute_utilization=35.0, gpu_count=2)
    # metric 70 @2 -> 2; gpu ceil(2 * 90/80) = 3
    result = rec(request(70, 2, spec=spec, gpu=gpu))
    assert result.replicas == 3
    assert result.reason == ("BudScaler: Scaling up from 2 to 3 replicas "
                             "(GPU mem: 90.0%, compute: 35.0%)")
    idle = GPUMetrics(10.0, 10.0, 2)
    assert rec(request(100, 2, spec=spec, gpu=idle)).replicas == 3


def test_prediction_blend():
    spec = make_spec(predictionConfig={"enabled": True})
    # metric 70 @2 -> 2; w = 0.3*0.9 = 0.27; 2*.73 + 10*.27 = 4.16 -> 4
    pred = PredictionData(10, 0.9, "ml", "timeseries")
    assert rec(request(70, 2, spec=spec, prediction=pred)).replicas == 4
    low = PredictionData(10, 0.6, "ml", "timeseries")
    assert rec(request(70, 2, spec=spec, prediction=low)).replicas == 2
    off = make_spec(predictionConfig={"enabled": False})
    assert rec(request(70, 2, spec=off, prediction=pred)).replicas == 2


def test_nan_confidence():
    spec = make_spec(min_replicas=1, predictionConfig={"enabled": True},
                     behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    pred = PredictionData(5, math.nan, "ml", "timeseries")
    assert rec(request(70, 3, spec=spec, prediction=pred), AS_BUILT).replicas == 1
    assert rec(request(70, 3, spec=spec, prediction=pred), CONTRACT).replicas == 3


def test_schedule_hint_floor_and_reason():
    hint = PredictionData(4, 1.0, "schedule hint: am", "schedule", True, "am", 4)
    result = rec(request(70, 2, prediction=hint))
    assert result.replicas == 4
    assert result.reason == "BudScaler: Scaling up from 2 to 4 replicas [schedule hint 'am' floor: 4]"
    gated = rec(request(70, 2, ready=1, starting=1, prediction=hint))
    assert gated.replicas == 2


def test_cost_ceiling_budget_exceeded():
    spec = make_spec(min_replicas=2, costConfig={"enabled": True, "budgetPerHour": "3"},
                     behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    cost = CostMetrics(current_cost_per_hour=4.08, budget_per_hour=3.0, per_replica_cost_per_hour=1.02)
    # at 4, 100/70 -> 6; C > B: cap max(1, trunc(3/1.02)) = 2
    result = rec(request(100, 4, spec=spec, cost=cost), CONTRACT)
    assert result.replicas == 2
    assert result.reason == "BudScaler: Scaling down from 4 to 2 replicas (budget usage: 136.0%)"
    no_budget = CostMetrics(4.08, 0.0, 1.02)
    assert rec(request(100, 4, spec=spec, cost=no_budget), CONTRACT).replicas == 1
    assert rec(request(100, 4, spec=spec, cost=no_budget), AS_BUILT).replicas == 2


def test_cost_ceiling_growth_limited_by_headroom():
    spec = make_spec(costConfig={"enabled": True, "budgetPerHour": "3.5"})
    cost = CostMetrics(2.04, 3.5, 1.02)
    # at 2, 200/70 -> 4 (rate cap); 2.04 + 2*1.02 > 3.5 -> 2 + trunc(1.46/1.02) = 3
    assert rec(request(200, 2, spec=spec, cost=cost)).replicas == 3
    full = CostMetrics(3.5, 3.5, 1.75)
    assert rec(request(200, 2, spec=spec, cost=full)).replicas == 2


def test_reason_strings():
    spec = make_spec(behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    assert rec(request(70, 2)).reason == "BudScaler: No scaling needed at 2 replicas"
    assert rec(request(20, 3, spec=spec)).reason == "BudScaler: Scaling down from 3 to 2 replicas"
    assert rec(request(100, 3)).reason == "BudScaler: Scaling up from 3 to 5 replicas"


def test_errors():
    spec = make_spec()
    empty = ScalerSpec.from_object({"spec": {"scaleTargetRef": {"name": "x"}, "maxReplicas": 3}})
    req = ScaleRequest(empty, ScalingContext.build(spec, {}), 1, 1, 0, {}, NOW, None)
    with pytest.raises(RecommendationError, match="at least one metric source is required"):
        rec(req)


# -- the replica bounds apply at once (issue 12) -----------------------------------------------
# 95 @5 against max 3 with a 60 s scale-down window that saw 5 a moment ago: the window alone
# would hold 5; the contract applies the lowered maximum on this tick, as-built waits.
def _window_seen(*recommendations):
    window = RecommendationWindow()
    for age, replicas in recommendations:
        window.record(NOW - age, replicas)
    return window


def test_a_lowered_maximum_applies_at_once_whatever_the_windows():
    spec = make_spec(max_replicas=3, behavior={"scaleDown": {"stabilizationWindowSeconds": 60}})
    req = request(95, 5, spec=spec, last_scale_time=NOW - 5)
    assert rec(req, CONTRACT, _window_seen((5, 5))).replicas == 3
    assert rec(req, AS_BUILT, _window_seen((5, 5))).replicas == 5


def test_a_raised_minimum_applies_at_once_whatever_the_windows_and_the_gate():
    spec = make_spec(min_replicas=4, behavior={"scaleUp": {"stabilizationWindowSeconds": 30,
                                                            "policies": [{"type": "Pods", "value": 1,
                                                                          "periodSeconds": 60}]}})
    req = request(85, 2, ready=1, starting=1, spec=spec, last_scale_time=NOW - 5)
    assert rec(req, CONTRACT, _window_seen((5, 2))).replicas == 4
    assert rec(req, AS_BUILT, _window_seen((5, 2))).replicas == 2
