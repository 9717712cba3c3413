"""Learning and prediction edges (§5.4, §5.5): unknown metrics, empty histories, the accuracy trend.

Written against the survivors of `make mutation` in support/reference/{predictor,learning/system,
learning/accuracy_tracker}.py.
"""

import pytest

from support.reference.learning.accuracy_tracker import TREND_MIN_OUTCOMES, AccuracyTracker
from support.reference.learning.patterns import LLMMetrics
from support.reference.learning.system import LearningSystem
from support.reference.model import CONTRACT
from support.reference.predictor import TimeSeriesPredictor

NOW = 1_767_607_200.0  # Monday 2026-01-05 10:00:00 UTC


def test_the_seasonal_adjustment_of_a_metric_it_learned_and_of_one_it_did_not():
    system = LearningSystem("llm", "ns", look_ahead_minutes=5, historical_days=7, enabled=True, model=CONTRACT)
    assert system.seasonal_adjustment("never-seen", NOW) == (1.0, 0.0)
    for minute in range(0, 120, 1):
        system.record(NOW - 7 * 86400 + minute * 60, {"load": 80.0 if minute < 60 else 20.0}, LLMMetrics(), 1, 1, 1)
    learned = system.seasonal_adjustment("load", NOW)
    assert learned == system.seasonal.profiles["load"].seasonal_factor(NOW) != (1.0, 0.0)


def test_an_empty_predictor_has_no_history_and_predicts_nothing():
    predictor = TimeSeriesPredictor()
    assert predictor.history("k") == []
    assert predictor.linear_prediction("k", 15) == 0.0
    assert predictor.moving_average("k", 3) == 0.0
    predictor.add("k", 5.0, NOW)
    assert predictor.moving_average("k", 0) == 0.0
    assert predictor.moving_average("k", 1) == 5.0


def test_a_single_point_predicts_itself_and_two_points_their_line():
    predictor = TimeSeriesPredictor()
    predictor.add("k", 4.0, NOW)
    assert predictor.linear_prediction("k", 15) == 4.0
    predictor.add("k", 6.0, NOW + 60)
    assert predictor.linear_prediction("k", 1) == pytest.approx(8.0)


def test_an_invalid_target_keeps_the_current_replicas_with_the_confidence():
    predictor = TimeSeriesPredictor()
    for i in range(30):
        predictor.add("k", 50.0, NOW + 60 * i)
    invalid = predictor.predict_replicas("k", 3, 0.0, 1, 10, 15)
    assert (invalid.predicted_replicas, invalid.reason) == (3, "invalid target value")
    assert invalid.confidence == predictor.confidence("k")


def _tracker(errors_first, errors_second):
    tracker = AccuracyTracker()
    for i, (predicted, actual) in enumerate(errors_first + errors_second):
        tracker.record(NOW + 60 * i, predicted, actual, "none", "none")
    return tracker


def test_the_accuracy_trend_is_the_relative_improvement_between_halves():
    half = TREND_MIN_OUTCOMES // 2
    assert _tracker([(12, 10)] * half, [(11, 10)] * half).recent_trend() == pytest.approx(0.5)
    assert _tracker([(12, 10)] * half, [(11, 10)] * (half + 1)).recent_trend() == pytest.approx(0.5)  # means
    assert _tracker([(11, 10)] * half, [(14, 10)] * half).recent_trend() == -1.0  # worse by 300 %: capped
    assert _tracker([(20, 10)] * half, [(10, 10)] * half).recent_trend() == 1.0
    assert _tracker([(10, 10)] * half, [(12, 10)] * half).recent_trend() == 0.0  # no error to improve on
    assert _tracker([(5, 0)] * half, [(12, 10)] * half).recent_trend() == 0.0  # no actual load: no error


def test_the_worst_five_hours_by_default():
    tracker = AccuracyTracker()
    for hour in range(7):
        tracker.record(NOW + 3600 * hour, 10 + hour, 10, "none", "none")
    assert len(tracker.worst_buckets()) == 5
