"""When a scaler's schedule hints are active during a scenario, by the reference model's cron reading."""

from __future__ import annotations

from support.reference.durations import parse_go_duration
from support.reference.schedule import is_active

MINUTE = 60.0  # cron triggers fall on whole minutes: looking at each is exact


def hint_spans(hints: list[dict], start: float, end: float) -> list[tuple[dict, float, float]]:
    """(hint, from, to) in seconds since `start` (epoch seconds) while each hint is active, up to `end`."""
    spans = []
    for hint in hints:
        try:
            duration = parse_go_duration(str(hint.get("duration")))
            active = [t for t in _minutes(start, end) if is_active(hint["cronExpression"], duration, start + t)]
        except (ValueError, KeyError, TypeError):
            continue  # a hint the controller cannot read is not marked
        for first, last in _runs(active):
            spans.append((hint, max(first, 0.0), min(last + MINUTE, end)))
    return spans


def _minutes(start: float, end: float) -> list[float]:
    """Offsets from `start` of each whole minute up to `end`, the minute `start` falls in first."""
    first = (start // MINUTE) * MINUTE - start
    return [first + i * MINUTE for i in range(int((end - first) // MINUTE) + 1)]


def _runs(times: list[float]) -> list[tuple[float, float]]:
    runs: list[tuple[float, float]] = []
    for t in times:
        if runs and t - runs[-1][1] <= MINUTE:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs
