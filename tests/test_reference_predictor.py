"""Time-series predictor (§5.4): regression, confidence (with Go's NaN), replicas."""
import math

import pytest

from support.reference.model import AS_BUILT, CONTRACT
from support.reference.predictor import (TimeSeriesPredictor, effective_look_ahead,
                                         history_key)

T = 1_767_607_200.0


def predictor_with(values, step=60.0, key="load"):
    predictor = TimeSeriesPredictor()
    for i, value in enumerate(values):
        predictor.add(key, value, T + i * step)
    return predictor


def test_least_squares_extrapolates_the_look_ahead_after_the_last_point():
    predictor = predictor_with([10.0, 12.0, 14.0])  # slope 2/min, intercept 10
    assert predictor.linear_prediction("load", 15) == pytest.approx(44.0)  # x = 2 + 15
    assert predictor.linear_prediction("load", 5) == pytest.approx(24.0)


def test_regression_on_noisy_points():
    # x = 0..3, y = 1, 3, 2, 5: Σx 6, Σy 11, Σxy 22, Σx² 14
    # slope = (4×22 − 6×11)/(4×14 − 36) = 1.1, intercept = (11 − 1.1×6)/4 = 1.1
    predictor = predictor_with([1.0, 3.0, 2.0, 5.0])
    assert predictor.linear_prediction("load", 1) == pytest.approx(1.1 + 1.1 * 4)


def test_degenerate_histories():
    assert TimeSeriesPredictor().linear_prediction("load", 15) == 0.0
    assert predictor_with([7.0]).linear_prediction("load", 15) == 7.0
    same_time = predictor_with([3.0, 9.0], step=0.0)  # zero denominator -> last value
    assert same_time.linear_prediction("load", 15) == 9.0


def test_history_is_sorted_by_time_and_capped_at_1000():
    predictor = TimeSeriesPredictor()
    predictor.add("load", 2.0, T + 60)
    predictor.add("load", 1.0, T)
    assert predictor.history("load") == [(T, 1.0), (T + 60, 2.0)]
    for i in range(1005):
        predictor.add("big", float(i), T + i)
    history = predictor.history("big")
    assert len(history) == 1000 and history[0] == (T + 5, 5.0)


def test_confidence_count_and_variance_factors():
    assert TimeSeriesPredictor().confidence("load") == 0.0
    assert predictor_with([5.0]).confidence("load") == pytest.approx((1 - 1 / 1.1) * 0.5)
    # n = 2: count 1 − 1/1.2; mean 3, variance 10 − 9 = 1, cv 1/3, factor 0.75
    assert predictor_with([2.0, 4.0]).confidence("load") == pytest.approx((1 - 1 / 1.2) * 0.75)
    # exactly representable flat history: variance 0, factor 1
    assert predictor_with([1.0] * 10).confidence("load") == pytest.approx(0.5)


@pytest.mark.parametrize("n, value", [(10, 0.7), (24, 0.85)])
def test_flat_history_can_give_nan_confidence_like_go(n, value):
    # Σv²/n − mean² rounds to about −1e-16; Go's Sqrt gives NaN (§7.19)
    assert math.isnan(predictor_with([value] * n).confidence("load"))


def test_predict_replicas_up_clamped_to_max():
    predictor = predictor_with([60.0, 70.0, 80.0])  # at x = 17: 230
    data = predictor.predict_replicas("load", 2, 70.0, 1, 5, 15)
    assert (data.predicted_replicas, data.reason, data.source) == (
        5, "predicted increase in load", "timeseries")  # ceil(2 × 230 / 70) = 7 -> 5
    assert data.confidence == pytest.approx(predictor.confidence("load"))


def test_predict_replicas_down_and_stable():
    falling = predictor_with([80.0, 70.0, 60.0])  # at x = 17: −90 -> ceil(−2.57) = −2 -> 1
    assert falling.predict_replicas("load", 2, 70.0, 1, 5, 15).predicted_replicas == 1
    assert falling.predict_replicas("load", 2, 70.0, 1, 5, 15).reason == \
        "predicted decrease in load"
    flat = predictor_with([70.0, 70.0])
    data = flat.predict_replicas("load", 2, 70.0, 1, 5, 15)
    assert (data.predicted_replicas, data.reason) == (2, "stable load predicted")


def test_predict_replicas_with_invalid_target_keeps_current():
    data = predictor_with([60.0, 70.0]).predict_replicas("load", 3, 0.0, 1, 5, 15)
    assert (data.predicted_replicas, data.reason) == (3, "invalid target value")


def test_moving_average():
    predictor = predictor_with([1.0, 2.0, 6.0])
    assert predictor.moving_average("load", 2) == 4.0
    assert predictor.moving_average("load", 10) == 3.0
    assert predictor.moving_average("none", 3) == 0.0


def test_history_key_and_look_ahead_by_model():
    assert history_key(AS_BUILT, "ns", "llm", "load") == "load"
    assert history_key(CONTRACT, "ns", "llm", "load") == "ns/llm/load"
    assert effective_look_ahead(AS_BUILT, 5) == 15
    assert effective_look_ahead(CONTRACT, 5) == 5
    assert effective_look_ahead(CONTRACT, None) == 15
