"""Calibration and the RFC 3339 times of the learning data (support/reference/learning/calibration.py,
timefmt.py) at the edges their other tests left open: written against the survivors of `make mutation`
(docs/mutation-survivors.md): the thresholds at their exact values, how many hours one calibration restarts,
and times written in UTC whatever the machine's zone.
"""
import time

import pytest
from hamcrest import assert_that, calling, equal_to, raises

from support.reference.learning.accuracy_tracker import AccuracyTracker, Ewma
from support.reference.learning.calibration import (MIN_PREDICTIONS, RESET_MAPE, RESET_MIN_COUNT, TARGET_MAX_MAPE,
                                                    WORST_SLOTS, calibrate, calibration_due)
from support.reference.learning.seasonal import SeasonalManager
from support.reference.learning.timefmt import parse_rfc3339, rfc3339
from support.reference.model import CONTRACT

T = 1_767_607_200.0  # Monday 2026-01-05 10:00:00 UTC


def tracker(predictions, mape=0.0):
    t = AccuracyTracker(total_predictions=predictions)
    t.overall_mape = Ewma(value=mape, count=predictions)
    return t


def test_calibration_runs_from_exactly_the_minimum_of_predictions():
    assert_that(calibrate(tracker(MIN_PREDICTIONS), SeasonalManager(), T, CONTRACT), equal_to(True),
                f"{MIN_PREDICTIONS} verified predictions are enough")


def test_a_mape_of_exactly_the_target_is_no_reason_to_calibrate():
    t = tracker(MIN_PREDICTIONS, mape=TARGET_MAX_MAPE)
    for d in t.directions[:1]:
        d.total = d.correct = MIN_PREDICTIONS     # every direction right
    assert_that(calibration_due(t, T), equal_to(False), f"MAPE {TARGET_MAX_MAPE} % meets the target")


def test_an_hour_at_exactly_the_reset_mape_is_kept():
    t = tracker(MIN_PREDICTIONS)
    t.hourly_mape[3] = Ewma(value=RESET_MAPE, count=RESET_MIN_COUNT + 1)
    calibrate(t, SeasonalManager(), T, CONTRACT)
    assert_that(t.hourly_mape[3].count, equal_to(RESET_MIN_COUNT + 1), f"MAPE {RESET_MAPE} % is not over the bar")


def test_one_calibration_restarts_at_most_the_five_worst_hours():
    t = tracker(MIN_PREDICTIONS)
    for hour in range(WORST_SLOTS + 1):
        t.hourly_mape[hour] = Ewma(value=100.0 + hour, count=RESET_MIN_COUNT + 1)
    calibrate(t, SeasonalManager(), T, CONTRACT)
    kept = [hour for hour in range(WORST_SLOTS + 1) if t.hourly_mape[hour].count]
    assert_that(kept, equal_to([0]), "the five worst hours restart, the sixth (least bad) keeps its record")


def test_times_are_written_in_utc_whatever_the_local_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        assert_that(rfc3339(T), equal_to("2026-01-05T10:00:00Z"), "UTC, not the machine's +05:30")
    finally:
        monkeypatch.undo()
        time.tzset()


def test_times_are_whole_seconds_unless_asked_for_fractions():
    assert_that(rfc3339(T + 0.25), equal_to("2026-01-05T10:00:00Z"), "the default drops the fraction")
    assert_that(rfc3339(T + 0.25, fractional=True), equal_to("2026-01-05T10:00:00.25Z"), "trailing zeros trimmed")


@pytest.mark.parametrize("bad, words", [(12, "time must be an RFC 3339 string, got 12"),
                                        ("2026-01-05T10:00:00", "time '2026-01-05T10:00:00' has no zone")])
def test_a_bad_time_is_named_in_the_error(bad, words):
    assert_that(calling(parse_rfc3339).with_args(bad), raises(ValueError, words), f"parsing {bad!r}")
