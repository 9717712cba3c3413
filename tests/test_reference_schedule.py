"""Schedule hints (§5.3): cron parsing and active windows [T, T + duration)."""
from datetime import datetime, timezone

import pytest

from support.reference.schedule import (HintRegistry, active_hint, hint_prediction,
                                        is_active, parse_cron)
from support.reference.spec import ScheduleHint

HOUR = 3600.0


def at(day, hour, minute=0, second=0):
    """January 2026: the 4th is a Sunday, the 5th a Monday."""
    return datetime(2026, 1, day, hour, minute, second, tzinfo=timezone.utc).timestamp()


def test_parse_fields_names_and_star_bits():
    cron = parse_cron("0 9 * * MON-FRI")
    assert (cron.minutes, cron.hours, cron.days_of_week) == (
        {0}, {9}, {1, 2, 3, 4, 5})
    assert cron.dom_star and not cron.dow_star
    assert parse_cron("*/20 1-7/3 * jan,DEC ?").minutes == {0, 20, 40}
    assert parse_cron("*/20 1-7/3 * jan,DEC ?").hours == {1, 4, 7}
    assert parse_cron("0 9 * jan,DEC *").months == {1, 12}
    assert parse_cron("5/20 * * * *").minutes == {5, 25, 45}


@pytest.mark.parametrize("now, active", [
    (at(5, 8, 59, 59), False),
    (at(5, 9), True),          # window opens at T
    (at(5, 10, 59, 59), True),
    (at(5, 11), False),        # and closes at T + 2 h
    (at(10, 10), False),       # Saturday
])
def test_weekday_morning_rush_window(now, active):
    assert is_active("0 9 * * 1-5", 2 * HOUR, now) is active


def test_window_spanning_midnight():
    assert is_active("0 23 * * *", 7 * HOUR, at(6, 3))
    assert not is_active("0 23 * * *", 7 * HOUR, at(6, 6))
    assert is_active("0 18 * * 1-5", 15 * HOUR, at(6, 2))  # Monday 18:00 + 15 h


def test_weekend_list():
    assert is_active("0 0 * * 0,6", 24 * HOUR, at(4, 12))
    assert not is_active("0 0 * * 0,6", 24 * HOUR, at(5, 10))


def test_steps_every_quarter_hour():
    assert is_active("*/15 * * * *", 60, at(5, 10, 15, 30))
    assert not is_active("*/15 * * * *", 60, at(5, 10, 16))


def test_restricted_day_of_month_or_day_of_week():
    cron = "0 9 1 * MON"
    assert is_active(cron, HOUR, at(5, 9, 30))       # a Monday
    assert is_active(cron, HOUR, at(1, 9, 30))       # the 1st (a Thursday)
    assert not is_active(cron, HOUR, at(6, 9, 30))   # neither


def test_time_zone_prefix():
    # 11:00 in Berlin (CET, UTC+1) is 10:00 UTC
    assert is_active("CRON_TZ=Europe/Berlin 0 11 * * *", HOUR, at(5, 10, 30))
    assert is_active("TZ=UTC 0 10 * * *", HOUR, at(5, 10, 30))
    assert not is_active("0 11 * * *", HOUR, at(5, 10, 30))


@pytest.mark.parametrize("cron", ["0 9 * *", "61 * * * *", "@daily", "0 9 * * 7",
                                  "TZ=Nowhere/City 0 9 * * *", "0 9 * * FUNDAY", "*/0 * * * *"])
def test_bad_cron_is_never_active(cron):
    with pytest.raises(ValueError):
        parse_cron(cron)
    assert not is_active(cron, 24 * HOUR, at(5, 10))


def test_zero_duration_is_never_active():
    assert not is_active("0 10 * * *", 0, at(5, 10))


def hint(name, cron, target, duration):
    return ScheduleHint(name=name, cron_expression=cron, target_replicas=target,
                        duration=duration)


def test_first_active_hint_and_its_prediction_data():
    hints = [hint("night", "0 23 * * *", 1, "7h"), hint("rush", "0 9 * * 1-5", 4, "2h"),
             hint("all-day", "0 0 * * *", 2, "24h")]
    chosen = active_hint(hints, at(5, 10))
    assert chosen.name == "rush"
    data = hint_prediction(chosen)
    assert (data.predicted_replicas, data.confidence, data.reason, data.source) == (
        4, 1.0, "schedule hint: rush", "schedule")
    assert data.is_schedule_hint and (data.hint_name, data.hint_target) == ("rush", 4)


def test_registry_keeps_the_first_definition_of_a_name():
    registry = HintRegistry()
    registry.register([hint("rush", "0 9 * * 1-5", 4, "2h")])
    registry.register([hint("rush", "0 10 * * *", 8, "1h"), hint("late", "0 22 * * *", 1, "1h")])
    assert [(h.name, h.target_replicas) for h in registry.hints()] == [("rush", 4), ("late", 1)]
    assert registry.active(at(5, 10)).target_replicas == 4
