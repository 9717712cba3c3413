"""BudScaler (§4.3) at its edges: what it reports besides the replicas, the GPU, prediction and cost steps
at their thresholds, and the argument errors.

Written against the survivors of `make mutation` in support/reference/budscaler.py.
"""

import pytest

from support.reference.budscaler import (CostMetrics, GPUMetrics, PredictionData, RecommendationError,
                                         ScaleRequest, _cost_ceiling, _gpu_ratio, check_request,
                                         metric_recommendation)
from support.reference.metrics import snapshot
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.policies import apply_policies, policy_limit
from support.reference.scaling_context import ScalingContext
from support.reference.spec import ScalingPolicy
from test_reference_budscaler import NOW, make_spec, rec, request

NO_WINDOW = {"scaleDown": {"stabilizationWindowSeconds": 0}}


def test_the_direction_and_the_metric_it_reports():
    up = rec(request(100, 3))
    assert (up.direction, up.metric_used, up.current_value, up.target_value) == ("up", "load", 100.0, 70.0)
    assert rec(request(20, 3, spec=make_spec(behavior=NO_WINDOW))).direction == "down"
    assert rec(request(70, 2)).direction == "none"


def test_without_a_snapshot_it_reports_no_metric_and_an_unparsable_target_as_zero():
    blind = rec(request(None, 2))
    assert (blind.metric_used, blind.current_value, blind.target_value) == ("", 0.0, 0.0)
    spec = make_spec(sources=[{"metricSourceType": "pod", "targetMetric": "load", "targetValue": "lots"}])
    odd = rec(request(50, 2, spec=spec))
    assert (odd.metric_used, odd.current_value, odd.target_value) == ("load", 50.0, 0.0)


def test_argument_errors_say_what_is_missing():
    good = request(70, 2)
    with pytest.raises(RecommendationError, match="^scaler is required$"):
        check_request(ScaleRequest(None, good.context, 2, 2, 0, {}, NOW, None))
    with pytest.raises(RecommendationError, match="^scaling context is required$"):
        check_request(ScaleRequest(good.spec, None, 2, 2, 0, {}, NOW, None))
    empty = make_spec()
    empty = ScaleRequest(type(empty)(**{**empty.__dict__, "metrics_sources": ()}), good.context, 2, 2, 0, {}, NOW, None)
    with pytest.raises(RecommendationError, match="^at least one metric source is required$"):
        check_request(empty)


def test_the_reason_carries_every_suffix_that_applies():
    hint = PredictionData(4, 1.0, "schedule hint: am", "schedule", True, "am", 4)
    spec = make_spec(gpuConfig={"enabled": True}, costConfig={"enabled": True, "budgetPerHour": "0.5"})
    result = rec(request(70, 2, spec=spec, prediction=hint, gpu=GPUMetrics(50.0, 40.0, 1),
                         cost=CostMetrics(0.25, 0.5, 0.01)))
    assert result.reason == ("BudScaler: Scaling up from 2 to 4 replicas [schedule hint 'am' floor: 4]"
                             " (GPU mem: 50.0%, compute: 40.0%) (budget usage: 50.0%)")


def test_gpu_ratio_needs_a_positive_threshold():
    assert _gpu_ratio(50.0, None) == 1.0
    assert _gpu_ratio(50.0, 0) == 1.0
    assert _gpu_ratio(50.0, 1) == 50.0
    assert _gpu_ratio(40.0, 80) == 0.5


def test_the_gpu_step_needs_gpu_metrics_and_asks_for_at_least_one_replica():
    spec = make_spec(gpuConfig={"enabled": True, "gpuMemoryThreshold": 80, "gpuComputeThreshold": 80})
    assert rec(request(70, 2, spec=spec, gpu=None)).replicas == 2
    idle = GPUMetrics(1.0, 1.0, 1)  # ceil(1 x 1/80) = 1
    assert rec(request(70, 1, spec=spec, gpu=idle)).replicas == 1


@pytest.mark.parametrize("model", [CONTRACT, AS_BUILT])
def test_a_prediction_is_trusted_from_a_confidence_of_07(model):
    spec = make_spec(predictionConfig={"enabled": True})
    # metric 70 @2 -> 2; w = 0.3 x 0.7 = 0.21; 2 x 0.79 + 10 x 0.21 = 3.68 -> 4
    assert rec(request(70, 2, spec=spec, prediction=PredictionData(10, 0.7, "ml", "timeseries")), model).replicas == 4
    assert rec(request(70, 2, spec=spec, prediction=PredictionData(10, 0.69, "ml", "timeseries")), model).replicas == 2


def test_a_prediction_of_no_replicas_is_ignored_but_one_replica_is_blended():
    spec = make_spec(predictionConfig={"enabled": True}, behavior=NO_WINDOW)
    assert rec(request(70, 4, spec=spec, prediction=PredictionData(0, 1.0, "ml", "timeseries"))).replicas == 4
    # 4 x 0.7 + 1 x 0.3 = 3.1 -> 3
    assert rec(request(70, 4, spec=spec, prediction=PredictionData(1, 1.0, "ml", "timeseries"))).replicas == 3


def _ceiling(current, d, c, b, p):
    spec = make_spec(costConfig={"enabled": True})
    return _cost_ceiling(ScaleRequest(spec, ScalingContext.build(spec, {}), current, current, 0, {}, NOW, None,
                                      cost=CostMetrics(c, b, p)), d)


@pytest.mark.parametrize("current, d, c, b, p, expected", [
    (2, 4, 3.0, 3.0, 1.0, 2),   # at the budget exactly: no headroom, hold
    (2, 4, 1.0, 3.0, 1.0, 4),   # 1 + 2 x 1 = 3 is within the budget
    (4, 2, 4.0, 3.0, 1.0, 2),   # over budget, cap 3 above what is asked: what is asked
    (4, 6, 4.0, 3.0, 0.0, 4),   # over budget with no price per replica to cap by: no growth
    (2, 4, 1.0, 3.0, 2.0, 3),   # 1 + 2 x 2 > 3: 2 + trunc(2 / 2) = 3
])
def test_the_cost_ceiling_at_its_edges(current, d, c, b, p, expected):
    assert _ceiling(current, d, c, b, p) == expected


def test_load_exactly_at_the_edge_of_the_tolerance_band_is_outside_it():
    spec = make_spec(behavior={"scaleUp": {"tolerance": "0.5"}})
    # 105 / 70 = 1.5 exactly: |1.5 - 1| = 0.5 is not inside a 0.5 band
    assert rec(request(105, 2, spec=spec)).replicas == 3


def test_growth_that_costs_exactly_the_budget_is_within_it():
    # 0.1 + 2 x 2.0 == 4.1 exactly in floating point, while (4.1 - 0.1) / 2.0 truncates to 1
    assert _ceiling(2, 4, 0.1, 4.1, 2.0) == 4


def test_an_unusable_or_idle_source_does_not_stop_the_others_from_counting():
    sources = [{"metricSourceType": "pod", "targetMetric": "absent", "targetValue": "70"},
               {"metricSourceType": "pod", "targetMetric": "idle", "targetValue": "70"},
               {"metricSourceType": "pod", "targetMetric": "zero-target", "targetValue": "0"},
               {"metricSourceType": "pod", "targetMetric": "load", "targetValue": "70"}]
    spec = make_spec(sources=sources)
    snapshots = {"idle": snapshot([0.0]), "zero-target": snapshot([50.0]), "load": snapshot([140.0])}
    # load 140 / 70 at 2 replicas: ceil(2 x 1.8) = 4
    assert metric_recommendation(request(current=2, spec=spec, snapshots=snapshots), CONTRACT) == 4


def test_starting_pods_count_as_capacity_only_above_the_target():
    # 2 ready + 2 starting at weight 0.5: a baseline of 3
    low = request(21, current=2, ready=2, starting=2)  # 30 % of target: from 2 replicas, not 3
    assert metric_recommendation(low, CONTRACT) == 1
    fewer_ready = request(50, current=4, ready=2, starting=0)  # baseline 2: from current 4
    assert metric_recommendation(fewer_ready, CONTRACT) == 3  # round(4 x (1 - 0.5 x 2/7)) = 3, not 2


def test_with_no_tolerance_load_at_the_target_keeps_the_replicas_whatever_is_starting():
    spec = make_spec(behavior={"scaleUp": {"tolerance": "0"}, "scaleDown": {"tolerance": "0"}})
    assert metric_recommendation(request(70, current=2, ready=2, starting=2, spec=spec), CONTRACT) == 2


def test_a_percent_policy_always_allows_one_replica():
    assert policy_limit(ScalingPolicy("Percent", 1, 60), 10) == 1
    assert policy_limit(ScalingPolicy("Percent", 0, 60), 10) == 0


def test_at_zero_replicas_a_scale_down_policy_keeps_zero():
    spec = make_spec(min_replicas=0, behavior={"scaleDown": {"policies": [{"type": "Pods", "value": 1,
                                                                            "periodSeconds": 60}]}})
    assert apply_policies(ScalingContext.build(spec, {}), 0, 0, CONTRACT) == 0
