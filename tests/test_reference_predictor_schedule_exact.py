"""Prediction and schedule hints at their edges: confidence around a zero or unit mean, points at one instant, the
invalid-target answer's source, cron zones (a day behind UTC, a name with "="), the star bit, the 64-edge look-ahead."""
import pytest
from hamcrest import assert_that, close_to, equal_to

from support.reference.predictor import TimeSeriesPredictor
from support.reference.schedule import next_hint_change, parse_cron
from support.reference.spec import ScheduleHint
from support.reference.learning.timefmt import parse_rfc3339


def predictor_with(*points):
    predictor = TimeSeriesPredictor()
    for ts, value in points:
        predictor.add("m", value, ts)
    return predictor


def test_confidence_around_a_zero_or_unit_mean():
    count_factor = 1 - 1 / (1 + 2 / 10)
    assert_that(predictor_with((0, 1.0), (60, -1.0)).confidence("m"), close_to(count_factor, 1e-12),
                "a zero mean gives no coefficient of variation: the variance factor is 1")
    assert_that(predictor_with((0, 0.0), (60, 2.0)).confidence("m"), close_to(count_factor * 0.5, 1e-12),
                "mean 1, standard deviation 1: cv 1, the variance factor is 1/2")


def test_points_at_one_instant_predict_the_last_one_added():
    predictor = predictor_with((0, 1.0), (0, 2.0), (0, 3.0))
    assert_that(predictor.linear_prediction("m", 5), equal_to(3.0), "no slope from one instant: the newest value")


def test_an_invalid_target_answers_from_the_time_series():
    data = predictor_with((0, 1.0)).predict_replicas("m", 3, 0.0, 1, 10, 5)
    assert_that((data.predicted_replicas, data.reason, data.source), equal_to((3, "invalid target value", "timeseries")))


def test_a_cron_zone_a_day_behind_utc_fires_on_its_own_date():
    schedule = parse_cron("CRON_TZ=Pacific/Honolulu 0 18 * * *")
    after = parse_rfc3339("2026-01-06T02:00:00Z")            # 16:00 on the 5th in Honolulu
    assert_that(schedule.next_after(after), equal_to(parse_rfc3339("2026-01-06T04:00:00Z")),
                "18:00 on the 5th in Honolulu, not on the 6th")


def test_an_unknown_zone_is_named_whole():
    with pytest.raises(ValueError) as error:
        parse_cron("CRON_TZ=No/where=x 0 9 * * *")
    assert_that(str(error.value), equal_to("cron 'CRON_TZ=No/where=x 0 9 * * *': unknown time zone 'No/where=x'"))


def test_the_star_bit_is_false_for_a_listed_day():
    schedule = parse_cron("0 9 1 * 1-5")
    assert_that((schedule.dom_star, schedule.dow_star), equal_to((False, False)), "neither day field is a bare *")
    assert_that(parse_cron("0 9 * * *").dom_star, equal_to(True), "a bare * is")


def test_next_hint_change_looks_64_window_edges_ahead():
    every_minute = ScheduleHint("steady", "* * * * *", 2, "60s")       # always in force, an edge a minute
    now = parse_rfc3339("2026-01-05T10:00:30Z")
    at_64 = ScheduleHint("peak", "4 11 * * *", 5, "10m")                # opens at the 64th edge, 11:04
    at_65 = ScheduleHint("peak", "5 11 * * *", 5, "10m")                # opens at the 65th, 11:05
    assert_that(next_hint_change([at_64, every_minute], now), equal_to(parse_rfc3339("2026-01-05T11:04:00Z")))
    assert_that(next_hint_change([at_65, every_minute], now), equal_to(None), "beyond the 64 edges looked at")
