"""Diagnostics print when each event happened, whichever API wrote it (audit item 12)."""

from __future__ import annotations

from hamcrest import assert_that, contains_string, equal_to, is_not

from support.diagnostics import _events, event_time


def test_an_events_k8s_io_event_has_its_event_time_not_none():
    modern = {"eventTime": "2026-01-05T10:00:00.000000Z", "type": "Normal", "reason": "Scaled",
              "involvedObject": {"kind": "BudAIScaler", "name": "s"}, "message": "to 3"}
    assert_that(event_time(modern), equal_to("2026-01-05T10:00:00.000000Z"))
    assert_that(_events([modern]), is_not(contains_string("None")))


def test_core_events_keep_their_last_timestamp_and_are_listed_in_time_order():
    older = {"lastTimestamp": "2026-01-05T09:00:00Z", "reason": "Old", "involvedObject": {}}
    newer = {"eventTime": "2026-01-05T10:00:00.000000Z", "reason": "New", "involvedObject": {}}
    lines = _events([newer, older]).splitlines()
    assert_that([line.split()[0] for line in lines], equal_to(["2026-01-05T09:00:00Z", "2026-01-05T10:00:00.000000Z"]))


def test_an_event_with_no_time_at_all_says_so():
    assert_that(event_time({"metadata": {}}), equal_to("(no time)"))
    assert_that(event_time({"metadata": {"creationTimestamp": "2026-01-05T08:00:00Z"}}),
                equal_to("2026-01-05T08:00:00Z"))
