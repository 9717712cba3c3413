"""One tick's prediction (§2.4 step 10, §5.3, §5.4) and status.predictionStatus, worked by hand."""
import math

import pytest

from support.reference.budscaler import PredictionData, ScaleRequest, recommend
from support.reference.metrics import snapshot
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.prediction import (look_ahead_minutes, next_predicted_change, prediction_status,
                                          primary_metric, primary_target, tick_prediction)
from support.reference.predictor import TimeSeriesPredictor
from support.reference.scaling_context import ScalingContext
from support.reference.schedule import HintRegistry, hints_in_force
from support.reference.spec import ScalerSpec, ScheduleHint
from support.reference.stabilization import RecommendationWindow

MONDAY_10 = 1_767_607_200.0   # Monday 2026-01-05 10:00 UTC, the virtual epoch
HOUR = 3600.0
RUSH = {"name": "rush", "cronExpression": "0 9 * * 1-5", "targetReplicas": 4, "duration": "2h"}


def make_spec(prediction=None, hints=(), name="pred", sources=None, max_replicas=10):
    spec = {"scaleTargetRef": {"kind": "Deployment", "name": "llm"}, "minReplicas": 1,
            "maxReplicas": max_replicas,
            "metricsSources": sources or [{"metricSourceType": "pod", "targetMetric": "kv",
                                           "targetValue": "0.7"}],
            "scheduleHints": list(hints)}
    if prediction is not None:
        spec["predictionConfig"] = prediction
    return ScalerSpec.from_object({"metadata": {"name": name, "namespace": "ns"}, "spec": spec})


def test_primary_metric_and_target():
    spec = make_spec({"enabled": True, "predictionMetrics": ["queue"]},
                     sources=[{"metricSourceType": "pod", "targetMetric": "kv", "targetValue": "0.7"},
                              {"metricSourceType": "pod", "targetMetric": "queue", "targetValue": "x"},
                              {"metricSourceType": "pod", "targetMetric": "queue", "targetValue": "8"}])
    assert primary_metric(spec) == "queue" and primary_target(spec, "queue") == 8.0
    assert primary_target(spec, "missing") == 50.0
    assert primary_metric(make_spec({"enabled": True})) == "kv"


def test_hints_without_prediction():
    spec = make_spec(None, hints=[RUSH])
    data = tick_prediction(TimeSeriesPredictor(), spec.schedule_hints, spec, {}, 2, MONDAY_10, CONTRACT)
    assert (data.is_schedule_hint, data.hint_name, data.predicted_replicas, data.confidence) == (
        True, "rush", 4, 1.0)
    evening = MONDAY_10 + 10 * HOUR
    assert tick_prediction(TimeSeriesPredictor(), spec.schedule_hints, spec, {}, 2, evening,
                           CONTRACT) is None


def test_no_hints_and_no_prediction_is_no_data_even_with_shared_hints():
    registry = HintRegistry()
    hints_in_force(make_spec(None, hints=[RUSH]).schedule_hints, registry, AS_BUILT)
    plain = make_spec(None)
    shared = hints_in_force(plain.schedule_hints, registry, AS_BUILT)
    assert [h.name for h in shared] == ["rush"]
    assert tick_prediction(TimeSeriesPredictor(), shared, plain, {}, 2, MONDAY_10, AS_BUILT) is None


def test_as_built_a_scaler_with_prediction_gets_another_scalers_hint():
    registry = HintRegistry()
    hints_in_force(make_spec(None, hints=[RUSH], name="a").schedule_hints, registry, AS_BUILT)
    b = make_spec({"enabled": True}, name="b")
    own = hints_in_force(b.schedule_hints, registry, CONTRACT)
    shared = hints_in_force(b.schedule_hints, registry, AS_BUILT)
    snaps = {"kv": snapshot([0.7])}
    assert tick_prediction(TimeSeriesPredictor(), own, b, snaps, 2, MONDAY_10, CONTRACT).source == \
        "timeseries"
    assert tick_prediction(TimeSeriesPredictor(), shared, b, snaps, 2, MONDAY_10, AS_BUILT).hint_name == \
        "rush"


def ramp(spec, model, points=100, step=10.0):
    """Feed kv = 0.25 + 0.0045 i every ``step`` s; returns the last tick's prediction."""
    predictor, data = TimeSeriesPredictor(), None
    for i in range(points):
        snaps = {"kv": snapshot([0.25 + 0.0045 * i])}
        data = tick_prediction(predictor, spec.schedule_hints, spec, snaps, 5, MONDAY_10 + step * i, model)
    return data


# The ramp, by hand: 100 points 10 s apart, slope 0.0045 per point = 0.027 per minute, the last
# at x = 16.5 min (0.6955). Mean 0.47275, population sd 0.0045 x sqrt((100² − 1)/12) = 0.129897,
# cv 0.274768, confidence (1 − 1/11) x 1/(1 + cv) = 0.713141.
# 15 min ahead: 0.25 + 0.027 x 31.5 = 1.1005 -> ceil(5 x 1.1005 / 0.7) = 8;
#  5 min ahead: 0.25 + 0.027 x 21.5 = 0.8305 -> ceil(5 x 0.8305 / 0.7) = 6.
def test_look_ahead_minutes_is_honoured_under_the_contract():
    spec = make_spec({"enabled": True, "lookAheadMinutes": 5})
    contract, as_built = ramp(spec, CONTRACT), ramp(spec, AS_BUILT)
    assert contract.confidence == pytest.approx(0.713141, abs=1e-6)
    assert (contract.predicted_replicas, contract.reason) == (6, "predicted increase in load")
    assert as_built.predicted_replicas == 8          # fixed 15 minutes
    assert look_ahead_minutes(spec, CONTRACT) == 5 and look_ahead_minutes(spec, AS_BUILT) == 15


def test_a_confident_prediction_moves_replicas_up_before_the_load_arrives():
    spec = make_spec({"enabled": True, "lookAheadMinutes": 15})
    data = ramp(spec, CONTRACT)
    # the load is at target now (0.6955 / 0.7 inside the tolerance): the metric keeps 5;
    # w = 0.3 x 0.713141 = 0.213942: 5 x 0.786058 + 8 x 0.213942 = 5.64 -> 6
    request = ScaleRequest(spec, ScalingContext.build(spec, {}), 5, 5, 0, {"kv": snapshot([0.6955])},
                           MONDAY_10, None, prediction=data)
    assert recommend(request, CONTRACT, RecommendationWindow()).replicas == 6
    without = ScaleRequest(spec, ScalingContext.build(spec, {}), 5, 5, 0, {"kv": snapshot([0.6955])},
                           MONDAY_10, None)
    assert recommend(without, CONTRACT, RecommendationWindow()).replicas == 5


def test_the_same_ramp_seen_for_too_short_a_time_is_ignored():
    spec = make_spec({"enabled": True, "lookAheadMinutes": 15})
    data = ramp(spec, CONTRACT, points=30)
    # 30 points: count factor 0.75 and cv 0.0045 x sqrt(899/12) / 0.31525 = 0.12355 -> 0.6675 < 0.7
    assert data.confidence == pytest.approx(0.75 / (1 + 0.0045 * math.sqrt(899 / 12) / 0.31525), abs=1e-6)
    request = ScaleRequest(spec, ScalingContext.build(spec, {}), 5, 5, 0, {"kv": snapshot([0.7])},
                           MONDAY_10, None, prediction=data)
    assert recommend(request, CONTRACT, RecommendationWindow()).replicas == 5


def test_an_active_hint_replaces_the_prediction_but_the_history_grows():
    spec = make_spec({"enabled": True}, hints=[RUSH])
    predictor = TimeSeriesPredictor()
    data = tick_prediction(predictor, spec.schedule_hints, spec, {"kv": snapshot([0.9])}, 2, MONDAY_10,
                           CONTRACT)
    assert data.hint_name == "rush" and data.predicted_replicas == 4
    assert predictor.history("ns/pred/kv") == [(MONDAY_10, 0.9)]


# --- predictionStatus ----------------------------------------------------------------------------

RUSH_HINT = ScheduleHint("rush", "0 9 * * 1-5", 4, "2h")


def test_status_of_an_active_hint():
    hint = PredictionData(4, 1.0, "schedule hint: rush", "schedule", True, "rush", 4)
    assert prediction_status(hint, [RUSH_HINT], MONDAY_10, 15, 4, CONTRACT) == {
        "predictedReplicas": 4, "predictionConfidence": "1.00", "activeScheduleHint": "rush",
        "nextPredictedChange": "2026-01-05T11:00:00Z"}          # the window closes at 11:00
    assert prediction_status(hint, [RUSH_HINT], MONDAY_10, 15, 4, AS_BUILT) is None


def test_status_of_a_confident_prediction_expecting_a_change():
    data = PredictionData(8, 0.713, "predicted increase in load", "timeseries")
    assert prediction_status(data, [], MONDAY_10, 15, 6, CONTRACT) == {
        "predictedReplicas": 8, "predictionConfidence": "0.71",
        "nextPredictedChange": "2026-01-05T10:15:00Z"}


def test_no_change_foreseen_from_an_unconfident_or_matching_prediction():
    low = PredictionData(8, 0.5, "predicted increase in load", "timeseries")
    assert prediction_status(low, [], MONDAY_10, 15, 6, CONTRACT) == {
        "predictedReplicas": 8, "predictionConfidence": "0.50"}
    same = PredictionData(6, 0.9, "stable load predicted", "timeseries")
    assert "nextPredictedChange" not in prediction_status(same, [], MONDAY_10, 15, 6, CONTRACT)


def test_nan_confidence_reads_as_none():
    data = PredictionData(1, math.nan, "predicted decrease in load", "timeseries")
    assert prediction_status(data, [], MONDAY_10, 15, 3, CONTRACT) == {
        "predictedReplicas": 1, "predictionConfidence": "0.00"}


def test_hints_only_status_before_the_window_opens():
    evening = MONDAY_10 + 10 * HOUR
    assert prediction_status(None, [RUSH_HINT], evening, 15, 1, CONTRACT) == {
        "nextPredictedChange": "2026-01-06T09:00:00Z"}
    assert prediction_status(None, [], evening, 15, 1, CONTRACT) is None


def test_the_earlier_of_hint_change_and_look_ahead():
    data = PredictionData(8, 0.9, "predicted increase in load", "timeseries")
    ten_to_eleven = MONDAY_10 + 50 * 60
    # rush closes at 11:00, the look-ahead ends 11:05
    assert next_predicted_change(data, [RUSH_HINT], ten_to_eleven, 15, 6) == MONDAY_10 + HOUR


# --- the floor of a hint, then clamp, gate and stabilization (§4.3 steps 4-8) --------------------

def floor_of(target, name="rush"):
    return PredictionData(target, 1.0, f"schedule hint: {name}", "schedule", True, name, target)


def decide(current, floor, load=None, ready=None, starting=0, behavior=None, window=None, now=MONDAY_10,
           max_replicas=10):
    spec = make_spec(None, hints=[RUSH], max_replicas=max_replicas)
    if behavior:
        spec = ScalerSpec.from_object({"metadata": {"name": "pred", "namespace": "ns"}, "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "llm"}, "maxReplicas": max_replicas,
            "metricsSources": [{"metricSourceType": "pod", "targetMetric": "kv", "targetValue": "0.7"}],
            "scheduleHints": [RUSH], "behavior": behavior}})
    snaps = {} if load is None else {"kv": snapshot([load])}
    request = ScaleRequest(spec, ScalingContext.build(spec, {}), current,
                           current if ready is None else ready, starting, snaps, now, None,
                           prediction=floor)
    return recommend(request, CONTRACT, window or RecommendationWindow())


def test_the_floor_lifts_replicas_without_any_load_reading():
    result = decide(1, floor_of(4))
    assert (result.replicas, result.reason) == (
        4, "BudScaler: Scaling up from 1 to 4 replicas [schedule hint 'rush' floor: 4]")


def test_the_floor_never_lowers_what_the_load_needs():
    # 2 replicas at twice the target (1.4 / 0.7): ceil(2 x (1 + 0.8 x 1)) = 4 > floor 3 (and the cap)
    assert decide(2, floor_of(3), load=1.4).replicas == 4


def test_max_replicas_clamps_the_floor():
    result = decide(2, floor_of(12), load=0.7, max_replicas=6)
    assert (result.replicas, result.reason) == (
        6, "BudScaler: Scaling up from 2 to 6 replicas [schedule hint 'rush' floor: 12]")


def test_the_starting_pods_gate_holds_the_floor_back():
    assert decide(2, floor_of(5), load=0.7, ready=1, starting=1).replicas == 2   # 50 % starting


def test_a_scale_up_window_holds_the_floor_back_until_it_passes():
    window = RecommendationWindow()
    up = {"scaleUp": {"stabilizationWindowSeconds": 60}}
    assert decide(2, None, load=0.7, behavior=up, window=window).replicas == 2
    assert decide(2, floor_of(5), load=0.7, behavior=up, window=window, now=MONDAY_10 + 30).replicas == 2
    assert decide(2, floor_of(5), load=0.7, behavior=up, window=window, now=MONDAY_10 + 61).replicas == 5
