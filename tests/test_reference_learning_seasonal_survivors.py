"""Seasonal profiles and the accuracy trend (support/reference/learning/seasonal.py, accuracy_tracker.py) at the
edges their other tests left open: written against the survivors of `make mutation`
(docs/mutation-survivors.md): hours of the week in UTC whatever the machine's zone, a reset bucket, defaults
and bounds when loading, the last weekday's peak hours, the confidence cap and its variance damping, and
which outcomes the accuracy trend averages.
"""
import time

import pytest
from hamcrest import assert_that, calling, close_to, equal_to, raises

from support.reference.learning.accuracy_tracker import AccuracyTracker, Outcome
from support.reference.learning.seasonal import (BUCKETS, DEFAULT_ALPHA, Bucket, SeasonalManager, SeasonalProfile,
                                                 bucket_index)

T = 1_767_607_200.0  # Monday 2026-01-05 10:00:00 UTC: bucket 1 x 24 + 10 = 34


def test_the_hour_of_the_week_is_taken_in_utc_whatever_the_local_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        assert_that(bucket_index(T), equal_to(34), "Monday 10:00 UTC, not 15:30 in Kolkata")
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_reset_bucket_is_as_new():
    bucket = Bucket(34, mean=5.0, variance=2.0, observations=7, last_updated=T)
    bucket.reset()
    assert_that(bucket, equal_to(Bucket(34)), "mean, variance, observations and time all back to nothing")


def profile_json(*buckets):
    return {"metricName": "load", "alpha": 0.1, "minObservations": 10, "globalMean": 1.0, "globalVariance": 0.0,
            "globalCount": 1, "buckets": list(buckets)}


def bucket_json(day, hour):
    return {"dayOfWeek": day, "hourOfDay": hour, "mean": 1.0, "variance": 0.0, "observations": 1}


def test_a_loaded_profile_keeps_every_bucket_at_its_own_hour():
    profile = SeasonalProfile.from_json(profile_json(bucket_json(1, 10)))
    assert_that([b.index for b in profile.buckets], equal_to(list(range(BUCKETS))), "bucket i is hour i")


def test_a_bucket_past_the_end_of_the_week_is_refused():
    assert_that(calling(SeasonalProfile.from_json).with_args(profile_json(bucket_json(7, 0))),
                raises(ValueError, "bucket out of range"), "day 7 hour 0 is bucket 168, one past the week")


def test_a_manager_without_an_alpha_takes_the_default():
    assert_that(SeasonalManager.from_json({"profiles": {}}).alpha, equal_to(DEFAULT_ALPHA), "no alpha saved")


def test_the_peak_hours_of_saturday_are_saturday_s():
    profile = SeasonalProfile("load")
    profile.buckets[6 * 24 + 23].mean = 9.0
    assert_that(profile.peak_hours(6, 1), equal_to([23]), "Saturday 23:00, the last hour of the week")


# -- confidence ------------------------------------------------------------------------------------------
def factor_confidence(observations, bucket_variance=0.0, global_variance=0.0):
    profile = SeasonalProfile("load", global_mean=1.0, global_variance=global_variance)
    profile.buckets[34] = Bucket(34, mean=1.0, variance=bucket_variance, observations=observations)
    return profile.seasonal_factor(T)[1]


@pytest.mark.parametrize("observations, bucket_variance, global_variance, expected, why", [
    (2000, 0.0, 0.0, 1.0, "2000 observations: capped at full confidence"),
    (500, 2.0, 0.0, 0.5, "no global variance: no damping"),
    (500, 0.5, 2.0, 0.4, "damped by 1 / (1 + 0.5 / 2)"),
    (500, 1.0, 0.5, 0.5 / 3, "damped by 1 / (1 + 1 / 0.5)"),
])
def test_confidence_is_capped_and_damped_by_the_variance(observations, bucket_variance, global_variance,
                                                          expected, why):
    assert_that(factor_confidence(observations, bucket_variance, global_variance), close_to(expected, 1e-12), why)


# -- the accuracy trend averages outcomes with actual replicas above zero -----------------------------------
@pytest.mark.parametrize("second_half, expected, why", [
    ([Outcome(T, 1, 0, 1.0)] * 5 + [Outcome(T, 3, 2, 1.0)] * 5, 0.0, "outcomes with 0 actual are left out"),
    ([Outcome(T, 2, 1, 1.0)] * 10, -1.0, "an actual of 1 counts: 100 % error, twice the first half's"),
])
def test_the_trend_averages_outcomes_with_actual_replicas(second_half, expected, why):
    tracker = AccuracyTracker()
    tracker.recent.extend([Outcome(T, 3, 2, 1.0)] * 10 + second_half)      # first half: 50 % error
    assert_that(tracker.recent_trend(), equal_to(expected), why)
