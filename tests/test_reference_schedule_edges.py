"""Cron and schedule-hint edges (§5.3): errors that name the expression, time zones, the day rule,
one-second windows and the search for the next trigger.

Written against the survivors of `make mutation` in support/reference/schedule.py.
"""

import time
from datetime import date, datetime, timezone

import pytest

from support.reference.schedule import _edges_after, is_active, parse_cron
from support.reference.spec import ScheduleHint

NOW = 1_767_607_200.0  # Monday 2026-01-05 10:00:00 UTC


@pytest.mark.parametrize("expression, message", [
    ("61 * * * *", "cron '61 * * * *': '61' is out of range 0-59"),
    ("x * * * *", "cron 'x * * * *': bad value 'x'"),
    ("*/x * * * *", "cron '*/x * * * *': bad value 'x'"),
    ("1-x * * * *", "cron '1-x * * * *': bad value 'x'"),
    ("* * * *", "cron '* * * *': expected 5 fields, got 4"),
    ("CRON_TZ=Nowhere/City * * * * *", "cron 'CRON_TZ=Nowhere/City * * * * *': unknown time zone 'Nowhere/City'"),
])
def test_a_bad_cron_names_itself_and_what_is_wrong(expression, message):
    with pytest.raises(ValueError) as raised:
        parse_cron(expression)
    assert str(raised.value) == message


@pytest.mark.parametrize("prefix", ["CRON_TZ=", "TZ="])
def test_a_time_zone_prefix_moves_the_triggers(prefix):
    schedule = parse_cron(f"{prefix}Asia/Kolkata 0 16 * * *")
    # 16:00 in Kolkata is 10:30 UTC
    assert schedule.next_after(NOW) == NOW + 1800


@pytest.fixture
def local_time_not_utc(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_without_a_prefix_triggers_are_utc_whatever_the_machines_zone(local_time_not_utc):
    assert parse_cron("30 10 * * *").next_after(NOW) == NOW + 1800


def test_the_next_trigger_in_the_current_hour_and_not_tomorrow():
    assert parse_cron("30 * * * *").next_after(NOW) == NOW + 1800
    assert parse_cron("30 * * * *").next_after(NOW + 1800) == NOW + 5400


def test_a_cron_matches_its_minute_hour_and_day():
    schedule = parse_cron("30 9 * * 1")
    monday_0930 = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
    assert schedule.matches(monday_0930)
    assert not schedule.matches(monday_0930.replace(minute=31))
    assert not schedule.matches(monday_0930.replace(hour=10))
    assert not schedule.matches(monday_0930.replace(day=6))


def test_a_stepped_day_of_month_is_restricted_so_either_day_field_suffices():
    schedule = parse_cron("0 0 */2 * 1")  # odd days of the month, or Mondays
    assert schedule.day_matches(date(2026, 1, 3))      # a Saturday, day 3
    assert schedule.day_matches(date(2026, 1, 12))     # a Monday, day 12
    assert not schedule.day_matches(date(2026, 1, 6))  # a Tuesday, day 6


def test_a_one_second_window_is_a_window():
    assert is_active("30 9 * * *", 1, NOW - 1800)
    assert not is_active("30 9 * * *", 1, NOW - 1799)


def test_the_edges_of_a_hint_need_a_good_cron_and_a_positive_duration():
    assert _edges_after(ScheduleHint("bad", "nonsense", 2, "1h"), NOW) == []
    assert _edges_after(ScheduleHint("none", "30 10 * * *", 2, "0s"), NOW) == []
    assert _edges_after(ScheduleHint("brief", "30 10 * * *", 2, "1s"), NOW) == [NOW + 1800]
