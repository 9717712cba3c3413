"""Seasonal profiles (§5.5): bucket index, EWMA updates, factors, completeness."""
from datetime import datetime, timezone

import pytest

from support.reference.learning.seasonal import (BUCKETS, SeasonalManager, SeasonalProfile,
                                                 bucket_index)


def at(day: int, hour: int, minute: int = 0) -> float:
    """January 2026: the 4th is a Sunday, the 5th a Monday, the 10th a Saturday."""
    return datetime(2026, 1, day, hour, minute, tzinfo=timezone.utc).timestamp()


MONDAY_10 = at(5, 10)


@pytest.mark.parametrize("ts, expected", [
    (at(5, 10), 34),        # Monday 10:00 -> 1 × 24 + 10
    (at(10, 23, 59), 167),  # Saturday 23:59 -> 6 × 24 + 23
    (at(4, 0), 0),          # Sunday 00:00 is bucket 0 (Go weekday)
    (at(4, 23), 23),
])
def test_bucket_index_counts_from_sunday_in_utc(ts, expected):
    assert bucket_index(ts) == expected


def test_first_value_is_taken_as_is_then_ewma_with_variance():
    profile = SeasonalProfile("load")
    profile.update(10.0, MONDAY_10)
    bucket = profile.buckets[34]
    assert (bucket.mean, bucket.variance, bucket.observations) == (10.0, 0.0, 1)
    profile.update(20.0, MONDAY_10 + 60)
    # mean = 0.1×20 + 0.9×10 = 11; var = 0.9×0 + 0.1×(20−10)(20−11) = 9
    assert bucket.mean == pytest.approx(11.0)
    assert bucket.variance == pytest.approx(9.0)
    profile.update(5.0, MONDAY_10 + 120)
    # mean = 0.5 + 9.9 = 10.4; var = 0.9×9 + 0.1×(5−11)(5−10.4) = 8.1 + 3.24
    assert bucket.mean == pytest.approx(10.4)
    assert bucket.variance == pytest.approx(11.34)
    assert bucket.observations == 3
    assert bucket.last_updated == MONDAY_10 + 120
    assert (profile.global_mean, profile.global_count) == (pytest.approx(10.4), 3)
    assert profile.global_variance == pytest.approx(11.34)


def test_updates_touch_only_the_bucket_of_their_time():
    profile = SeasonalProfile("load")
    profile.update(1.0, at(5, 9, 59))
    profile.update(2.0, MONDAY_10)
    assert profile.buckets[33].observations == 1
    assert profile.buckets[34].observations == 1
    assert profile.observations() == 2


def profile_with(bucket_mean, global_mean, observations=10, bucket_var=0.0, global_var=0.0):
    profile = SeasonalProfile("load")
    bucket = profile.buckets[34]
    bucket.mean, bucket.variance, bucket.observations = bucket_mean, bucket_var, observations
    profile.global_mean, profile.global_variance = global_mean, global_var
    return profile


def test_seasonal_factor_is_bucket_over_global_mean():
    factor, confidence = profile_with(30.0, 10.0).seasonal_factor(MONDAY_10)
    assert factor == pytest.approx(3.0)
    assert confidence == pytest.approx(0.01)  # min(1, 10/1000), both variances 0


@pytest.mark.parametrize("bucket_mean, expected", [(200.0, 10.0), (0.5, 0.1)])
def test_seasonal_factor_is_clamped_to_a_tenth_and_ten(bucket_mean, expected):
    assert profile_with(bucket_mean, 10.0).seasonal_factor(MONDAY_10)[0] == expected


def test_variance_ratio_lowers_the_confidence():
    profile = profile_with(30.0, 10.0, observations=500, bucket_var=4.0, global_var=12.0)
    # 0.5 × 1/(1 + 4/12) = 0.375
    assert profile.seasonal_factor(MONDAY_10)[1] == pytest.approx(0.375)


def test_too_few_observations_gives_neutral_factor():
    assert profile_with(30.0, 10.0, observations=4).seasonal_factor(MONDAY_10) == (1.0, 0.4)


def test_zero_global_mean_gives_neutral_factor_half_confidence():
    assert profile_with(30.0, 0.0).seasonal_factor(MONDAY_10) == (1.0, 0.5)


def test_predict_value_and_peak_hours():
    profile = profile_with(30.0, 10.0)
    assert profile.predict_value(MONDAY_10) == pytest.approx(30.0)
    profile.buckets[24 + 14].mean = 50.0
    assert profile.peak_hours(1, 2) == [14, 10]


def test_completeness_and_vacuous_completion():
    manager = SeasonalManager()
    assert manager.is_complete()  # no profiles: vacuously complete, like the controller
    for minute in range(10):
        manager.update("load", 1.0, MONDAY_10 + minute * 60)
    profile = manager.profiles["load"]
    assert profile.completeness() == pytest.approx(100 / 168)
    assert not manager.is_complete()
    for bucket in profile.buckets:
        bucket.observations = 10
    assert manager.is_complete()
    assert manager.data_points() == 10 * BUCKETS


def test_alpha_applies_to_manager_and_every_profile_and_buckets_reset():
    manager = SeasonalManager()
    manager.update("a", 1.0, MONDAY_10)
    manager.update("b", 2.0, MONDAY_10)
    assert manager.current_alpha() == 0.1
    manager.set_alpha(0.11)
    assert [p.alpha for p in manager.profiles.values()] == [0.11, 0.11]
    manager.update("c", 3.0, MONDAY_10)
    assert manager.profiles["c"].alpha == 0.11
    manager.reset_bucket(34)
    assert manager.data_points() == 0


def test_json_round_trip_keeps_every_bucket():
    manager = SeasonalManager()
    manager.update("load", 42.5, MONDAY_10 + 0.25)
    data = manager.to_json()
    raw = data["profiles"]["load"]
    assert set(raw) == {"metricName", "buckets", "globalMean", "globalVariance",
                        "globalCount", "alpha", "minObservations"}
    assert raw["buckets"][34] == {"hourOfDay": 10, "dayOfWeek": 1, "mean": 42.5,
                                  "variance": 0.0, "observations": 1,
                                  "lastUpdated": "2026-01-05T10:00:00.25Z"}
    assert raw["buckets"][0]["lastUpdated"] == "0001-01-01T00:00:00Z"
    assert SeasonalManager.from_json(data) == manager
