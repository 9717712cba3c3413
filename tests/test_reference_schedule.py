"""Schedule hints (§5.3): cron parsing and active windows [T, T + duration)."""
from datetime import datetime, timezone

import pytest

from support.reference.model import AS_BUILT, CONTRACT
from support.reference.schedule import (HintRegistry, active_hint, hint_prediction, hints_in_force,
                                        is_active, next_hint_change, parse_cron, window)
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


# --- trigger search, windows, the next change, and whose hints apply ----------------------

def test_previous_and_next_trigger():
    cron = parse_cron("0 9 * * 1-5")
    assert cron.previous(at(5, 9)) == at(5, 9)             # at T itself
    assert cron.previous(at(5, 8, 59)) == at(2, 9)          # Monday early -> last Friday
    assert cron.next_after(at(5, 9)) == at(6, 9)            # strictly after
    assert cron.next_after(at(9, 10)) == at(12, 9)          # Friday -> next Monday
    assert parse_cron("*/20 * * * *").previous(at(5, 10, 59, 59)) == at(5, 10, 40)


def test_a_cron_that_never_fires_is_never_active():
    assert parse_cron("0 0 30 2 *").previous(at(5, 10)) is None
    assert not is_active("0 0 30 2 *", 24 * HOUR, at(5, 10))


@pytest.mark.parametrize("now, window_start", [
    (at(5, 23), at(5, 23)), (at(6, 5, 59, 59), at(5, 23)), (at(6, 6), None),
    (at(6, 0), at(5, 23)),
])
def test_window_across_midnight(now, window_start):
    found = window("0 23 * * *", 7 * HOUR, now)
    assert (found[0] if found else None) == window_start
    if found:
        assert found[1] == window_start + 7 * HOUR


def test_weekday_only_cron_at_the_weekend():
    # Friday 09:00 + 9 h ends 18:00 Friday; Saturday and Sunday nothing; Monday 09:00 again
    hints = [hint("business-hours", "0 9 * * 1-5", 5, "9h")]
    assert active_hint(hints, at(9, 17, 59)).name == "business-hours"
    for day, hour in ((9, 18), (10, 9), (10, 12), (11, 9), (12, 8, )):
        assert active_hint(hints, at(day, hour)) is None
    assert active_hint(hints, at(12, 9)).name == "business-hours"


def test_a_weekday_window_reaching_into_saturday():
    # off-hours-weekday: Friday 18:00 + 15 h = Saturday 09:00
    assert is_active("0 18 * * 1-5", 15 * HOUR, at(10, 8, 59))
    assert not is_active("0 18 * * 1-5", 15 * HOUR, at(10, 9))


def test_time_zone_with_daylight_saving():
    # New York: 09:00 EST is 14:00 UTC in January, 09:00 EDT is 13:00 UTC in July
    cron = "CRON_TZ=America/New_York 0 9 * * *"
    assert is_active(cron, HOUR, at(5, 14, 30)) and not is_active(cron, HOUR, at(5, 13, 30))
    july = datetime(2026, 7, 6, 13, 30, tzinfo=timezone.utc).timestamp()
    assert is_active(cron, HOUR, july)


SCHEDULEHINTS_TEST = [hint("business-hours", "0 9 * * 1-5", 5, "9h"),
                      hint("off-hours-weekday", "0 18 * * 1-5", 2, "15h"),
                      hint("weekend", "0 0 * * 0,6", 1, "24h")]


@pytest.mark.parametrize("now, name", [
    (at(5, 10), "business-hours"), (at(5, 18), "off-hours-weekday"),
    (at(6, 3), "off-hours-weekday"), (at(6, 9), "business-hours"),
    (at(10, 0), "off-hours-weekday"),    # Friday 18:00 + 15 h still holds, listed before weekend
    (at(10, 9), "weekend"), (at(11, 23, 59), "weekend"),
    # the config leaves Monday 00:00-09:00 uncovered: Sunday's window closes at midnight and
    # off-hours-weekday is not triggered on Sunday evening
    (at(5, 0), None), (at(5, 8, 59), None),
])
def test_schedulehints_test_config_through_a_week(now, name):
    found = active_hint(SCHEDULEHINTS_TEST, now)
    assert (found.name if found else None) == name


@pytest.mark.parametrize("now, change", [
    (at(5, 10), at(5, 18)),        # business hours end, off-hours begin
    (at(5, 18), at(6, 9)),         # off-hours run 15 h but business hours come first at 09:00
    (at(9, 20), at(10, 9)),        # Friday night: weekend takes over when off-hours end Sat 09:00
    (at(10, 9), at(11, 0) + 24 * HOUR),  # Sunday's window reopens at its midnight: no change till Mon
])
def test_next_hint_change(now, change):
    assert next_hint_change(SCHEDULEHINTS_TEST, now) == change


def test_next_hint_change_without_hints_or_change():
    assert next_hint_change([], at(5, 10)) is None
    always = [hint("always", "*/10 * * * *", 3, "1h")]   # reopens before it closes
    assert next_hint_change(always, at(5, 10)) is None
    assert next_hint_change([hint("am", "0 9 * * *", 4, "1h")], at(5, 10)) == at(6, 9)


def test_hints_in_force_per_scaler_or_shared_by_name():
    registry = HintRegistry()
    a = [hint("rush", "0 9 * * 1-5", 4, "2h")]
    b = [hint("rush", "0 10 * * *", 8, "1h"), hint("late", "0 22 * * *", 1, "1h")]
    assert hints_in_force(a, registry, CONTRACT) == a
    assert hints_in_force(b, registry, CONTRACT) == b
    assert hints_in_force(a, registry, AS_BUILT) == a
    # as built scaler b gets a's "rush" (first definition wins) plus its own "late"
    assert [(h.name, h.target_replicas) for h in hints_in_force(b, registry, AS_BUILT)] == [
        ("rush", 4), ("late", 1)]
    # and a scaler whose spec lost every hint still sees them
    assert [h.name for h in hints_in_force([], registry, AS_BUILT)] == ["rush", "late"]
