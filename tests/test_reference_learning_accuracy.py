"""Accuracy tracker and calibration (§5.5), worked by hand."""
from datetime import datetime, timezone

import pytest

from support.reference.learning.accuracy_tracker import (DOWN, NONE, UP, AccuracyTracker,
                                                         direction)
from support.reference.learning.calibration import (calibrate, calibration_due, next_alpha,
                                                    performance_score)
from support.reference.learning.seasonal import SeasonalManager
from support.reference.model import AS_BUILT, CONTRACT

MONDAY_10 = datetime(2026, 1, 5, 10, tzinfo=timezone.utc).timestamp()
SUNDAY_0 = datetime(2026, 1, 4, 0, tzinfo=timezone.utc).timestamp()


def record(tracker, before, predicted, actual, ts=MONDAY_10):
    tracker.record(ts, predicted, actual, direction(before, predicted), direction(before, actual))


def test_direction():
    assert (direction(2, 3), direction(3, 2), direction(2, 2)) == (UP, DOWN, NONE)


def test_ewma_mae_mape_rmse_and_direction_over_three_records():
    tracker = AccuracyTracker()
    record(tracker, 2, 3, 2)   # err 1, pct 50, up vs none: wrong
    record(tracker, 2, 4, 8)   # err −4, pct 50, up vs up: right
    record(tracker, 3, 3, 3)   # err 0, pct 0, none vs none: right
    assert tracker.mae() == pytest.approx(1.17)    # 1 -> 0.4+0.9 = 1.3 -> 0.9×1.3
    assert tracker.mape() == pytest.approx(45.0)   # 50 -> 50 -> 0.9×50
    assert tracker.hourly_rmse[34].value == pytest.approx(2.25)  # 1 -> 1.6+0.9 -> 0.9×2.5
    assert tracker.hourly_mae[34].count == 3
    assert tracker.direction_accuracy() == pytest.approx(2 / 3)
    assert tracker.total_predictions == 3
    assert tracker.calibration_needed
    assert [o.error for o in tracker.recent] == [1.0, -4.0, 0.0]


def test_direction_accuracy_sums_over_buckets():
    tracker = AccuracyTracker()
    record(tracker, 2, 3, 3, ts=MONDAY_10)
    record(tracker, 2, 3, 1, ts=SUNDAY_0)
    assert tracker.directions[34].correct == 1 and tracker.directions[0].total == 1
    assert tracker.direction_accuracy() == 0.5


def test_zero_actual_counts_as_zero_percent_error():
    tracker = AccuracyTracker()
    record(tracker, 1, 2, 0)
    assert (tracker.mape(), tracker.mae()) == (0.0, 2.0)
    assert not tracker.calibration_needed


def test_calibration_flag_needs_more_than_25_percent():
    tracker = AccuracyTracker()
    record(tracker, 4, 5, 4)  # exactly 25 %
    assert not tracker.calibration_needed
    record(tracker, 4, 6, 4)  # 50 %
    assert tracker.calibration_needed


def test_no_predictions_means_zero_accuracy():
    assert AccuracyTracker().direction_accuracy() == 0.0


def test_recent_ring_keeps_last_hundred():
    tracker = AccuracyTracker()
    for i in range(105):
        record(tracker, 1, 1, 1, ts=MONDAY_10 + i)
    assert len(tracker.recent) == 100
    assert tracker.recent[0].time == MONDAY_10 + 5


@pytest.mark.parametrize("first, second, expected", [
    ((6, 5), (5, 5), 1.0),     # 20 % then 0 %: improving, clamped at 1
    ((11, 10), (23, 20), -0.5),  # 10 % then 15 %
])
def test_recent_trend_compares_halves(first, second, expected):
    tracker = AccuracyTracker()
    for pair in [first] * 10 + [second] * 10:
        record(tracker, 1, *pair)
    assert tracker.recent_trend() == pytest.approx(expected)


def test_recent_trend_needs_twenty_outcomes():
    tracker = AccuracyTracker()
    for _ in range(19):
        record(tracker, 1, 6, 5)
    assert tracker.recent_trend() == 0.0


def test_worst_buckets_by_mape_with_data_only():
    tracker = AccuracyTracker()
    record(tracker, 1, 2, 1, ts=MONDAY_10)              # 100 %
    record(tracker, 1, 3, 2, ts=SUNDAY_0)               # 50 %
    record(tracker, 1, 1, 1, ts=SUNDAY_0 + 3600)        # 0 %
    assert tracker.worst_buckets(5) == [34, 0, 1]


def test_json_round_trip():
    tracker = AccuracyTracker()
    record(tracker, 2, 3, 2)
    tracker.last_calibration = MONDAY_10
    data = tracker.to_json()
    assert len(data["hourlyMAE"]) == 168 and data["overallMAPE"] == {
        "value": 50.0, "count": 1, "alpha": 0.1}
    assert data["recentPredictions"] == [{"time": "2026-01-05T10:00:00Z", "predicted": 3,
                                          "actual": 2, "error": 1.0}]
    assert AccuracyTracker.from_json(data) == tracker


# --- calibration ------------------------------------------------------------

def test_calibration_due_rules():
    tracker = AccuracyTracker()
    assert not calibration_due(tracker, MONDAY_10)
    tracker.calibration_needed = True
    assert calibration_due(tracker, MONDAY_10)           # never calibrated
    tracker.last_calibration = MONDAY_10 - 299
    assert not calibration_due(tracker, MONDAY_10)       # less than 5 min ago
    tracker.last_calibration = MONDAY_10 - 300
    assert calibration_due(tracker, MONDAY_10)


def test_calibration_due_on_poor_direction_accuracy_after_twenty():
    tracker = AccuracyTracker()
    for _ in range(17):
        record(tracker, 10, 10, 10)
    for _ in range(3):
        record(tracker, 10, 11, 10)  # up vs none, 10 %: wrong but no flag
    assert tracker.direction_accuracy() == pytest.approx(0.85)
    assert not calibration_due(tracker, MONDAY_10)
    record(tracker, 10, 11, 10)
    assert tracker.direction_accuracy() == pytest.approx(17 / 21)
    assert not tracker.calibration_needed and tracker.mape() < 20
    assert calibration_due(tracker, MONDAY_10)


def test_calibration_due_on_high_mape_after_twenty():
    tracker = AccuracyTracker()
    for _ in range(19):
        record(tracker, 2, 3, 4)     # up vs up, exactly 25 %: no flag
    assert not calibration_due(tracker, MONDAY_10)  # only 19
    record(tracker, 2, 3, 4)
    assert (tracker.mape(), tracker.direction_accuracy()) == (25.0, 1.0)
    assert calibration_due(tracker, MONDAY_10)


@pytest.mark.parametrize("alpha, mape, expected", [
    (0.1, 30.0, 0.11), (0.1, 5.0, 0.095), (0.1, 15.0, 0.1), (0.1, 10.0, 0.1),
    (0.1, 20.0, 0.1), (0.48, 30.0, 0.5), (0.051, 5.0, 0.05),
])
def test_next_alpha(alpha, mape, expected):
    assert next_alpha(alpha, mape) == pytest.approx(expected)


def test_calibration_skipped_below_twenty_predictions():
    tracker, seasonal = AccuracyTracker(), SeasonalManager()
    record(tracker, 2, 4, 2)
    assert not calibrate(tracker, seasonal, MONDAY_10, CONTRACT)
    assert tracker.calibration_needed and tracker.last_calibration is None


@pytest.mark.parametrize("model, learned_kept", [(CONTRACT, 1), (AS_BUILT, 0)])
def test_calibration_raises_alpha_and_restarts_the_record_of_bad_hours(model, learned_kept):
    tracker, seasonal = AccuracyTracker(), SeasonalManager()
    seasonal.update("load", 5.0, MONDAY_10)
    seasonal.update("load", 5.0, SUNDAY_0)
    for _ in range(11):
        record(tracker, 2, 3, 2, ts=MONDAY_10)   # bucket 34: MAPE 50 > 40, count 11 > 10
    for _ in range(10):
        record(tracker, 2, 3, 2, ts=SUNDAY_0)    # bucket 0: count 10, not reset
    assert calibrate(tracker, seasonal, MONDAY_10 + 60, model)
    assert seasonal.current_alpha() == pytest.approx(0.11)
    assert seasonal.alpha == pytest.approx(0.11)
    assert seasonal.profiles["load"].buckets[34].observations == learned_kept  # as built: wiped
    assert seasonal.profiles["load"].buckets[0].observations == 1
    assert tracker.hourly_mape[34].count == 0 and tracker.directions[34].total == 0
    assert tracker.hourly_mape[0].count == 10
    assert not tracker.calibration_needed
    assert tracker.last_calibration == MONDAY_10 + 60


def test_performance_score():
    assert performance_score(6.25, 2 / 3) == pytest.approx((93.75 + 66.6667) / 2, abs=1e-3)
    assert performance_score(150.0, 1.0) == 50.0
