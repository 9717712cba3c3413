"""Schedule hints (§5.3): 5-field cron, active windows, hint-only prediction data.

A hint is active at ``now`` iff some trigger time T of its cron satisfies
``T <= now < T + duration``: the window ``[T, T + duration)``, which may run past
midnight (``0 23 * * *`` for 7h holds until 06:00). Cron follows the controller's
parser: minute hour day-of-month month day-of-week; ranges, lists, steps, month/day
names, ``*`` and ``?``; an optional ``CRON_TZ=``/``TZ=`` prefix; no ``@daily``
descriptors; with both day fields restricted either one matching suffices. Without
a prefix times are read in UTC (the controller's container zone). A cron that does
not parse, or a duration of 0, is never active. Triggers are searched at most five
years back or ahead (a cron that never fires, e.g. 30 February, is never active).

Which hints apply (§7.17): the contract keeps each scaler's own hints, as its spec
lists them now. As built (quirk ``hints-shared-by-name``) every hint goes into one
process-wide list where the first definition of a name wins forever, and the whole
list applies to every scaler that has hints or prediction enabled: see
:func:`hints_in_force` and :class:`HintRegistry`.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from support.reference.budscaler import PredictionData
from support.reference.model import Model
from support.reference.spec import ScheduleHint

_MONTHS = {m: i + 1 for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split())}
_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
_FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 6, _DAYS))
SEARCH_DAYS = 5 * 366


@dataclass(frozen=True)
class CronSchedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]  # Sunday = 0
    dom_star: bool
    dow_star: bool
    zone: tzinfo

    def day_matches(self, day: date) -> bool:
        """Standard cron rule: with both day fields restricted, either suffices."""
        if day.month not in self.months:
            return False
        dom = day.day in self.days_of_month
        dow = (day.weekday() + 1) % 7 in self.days_of_week
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow

    def matches(self, local: datetime) -> bool:
        return (local.minute in self.minutes and local.hour in self.hours
                and self.day_matches(local))

    def previous(self, now: float) -> float | None:
        """The last trigger time at or before ``now`` (epoch seconds), None if none in 5 years."""
        today = datetime.fromtimestamp(now, self.zone)
        for day in self._matching_days(today.date(), -1):
            for hour in sorted(self.hours, reverse=True):
                if day == today.date() and hour > today.hour:
                    continue
                for minute in sorted(self.minutes, reverse=True):
                    at = self._at(day, hour, minute)
                    if at <= now:
                        return at
        return None

    def next_after(self, after: float) -> float | None:
        """The first trigger time strictly after ``after``, None if none in 5 years."""
        today = datetime.fromtimestamp(after, self.zone)
        for day in self._matching_days(today.date(), +1):
            for hour in sorted(self.hours):
                if day == today.date() and hour < today.hour:
                    continue
                for minute in sorted(self.minutes):
                    at = self._at(day, hour, minute)
                    if at > after:
                        return at
        return None

    def _matching_days(self, start: date, step: int) -> Iterator[date]:
        return (day for day in _consecutive_days(start, step) if self.day_matches(day))

    def _at(self, day: date, hour: int, minute: int) -> float:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone).timestamp()


def _consecutive_days(start: date, step: int) -> Iterator[date]:
    day = start
    for _ in range(SEARCH_DAYS):
        yield day
        day += timedelta(days=step)


def parse_cron(expression: str) -> CronSchedule:
    """Parse a 5-field cron expression; ValueError naming the expression if bad."""
    zone: tzinfo = timezone.utc
    fields = expression.split()
    if fields and fields[0].startswith(("CRON_TZ=", "TZ=")):
        zone = _zone(fields[0].split("=", 1)[1], expression)
        fields = fields[1:]
    if len(fields) != 5:
        raise ValueError(f"cron {expression!r}: expected 5 fields, got {len(fields)}")
    parsed = [_field(text, *bounds, expression) for text, bounds in zip(fields, _FIELDS)]
    (minutes, _), (hours, _), (doms, dom_star), (months, _), (dows, dow_star) = parsed
    return CronSchedule(minutes, hours, doms, months, dows, dom_star, dow_star, zone)


def _zone(name: str, expression: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"cron {expression!r}: unknown time zone {name!r}") from exc


def _field(text: str, low: int, high: int, names: dict, expression: str
           ) -> tuple[frozenset[int], bool]:
    """Values of one field and whether it is a bare ``*``/``?`` (the "star bit")."""
    values: set[int] = set()
    star = False
    for part in text.split(","):
        part_values, part_star = _range(part, low, high, names, expression)
        values |= part_values
        star = star or part_star
    return frozenset(values), star


def _range(part: str, low: int, high: int, names: dict, expression: str
           ) -> tuple[set[int], bool]:
    span, slash, step_text = part.partition("/")
    step = _number(step_text, {}, expression) if slash else 1
    if span in ("*", "?"):
        start, end, star = low, high, step <= 1
    else:
        first, dash, last = span.partition("-")
        start = _number(first, names, expression)
        end = _number(last, names, expression) if dash else (high if slash else start)
        star = False
    if not low <= start <= end <= high or step < 1:
        raise ValueError(f"cron {expression!r}: {part!r} is out of range {low}-{high}")
    return set(range(start, end + 1, step)), star


def _number(text: str, names: dict, expression: str) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not re.fullmatch(r"[0-9]+", text):
        raise ValueError(f"cron {expression!r}: bad value {text!r}")
    return int(text)


@functools.lru_cache(maxsize=256)
def _schedule(expression: str) -> CronSchedule | None:
    try:
        return parse_cron(expression)
    except ValueError:
        return None


def window(expression: str, duration_seconds: float, now: float) -> tuple[float, float] | None:
    """The window ``[T, T + duration)`` that contains ``now``, or None when inactive."""
    schedule = _schedule(expression)
    if schedule is None or duration_seconds <= 0:
        return None
    start = schedule.previous(now)
    if start is None or now >= start + duration_seconds:
        return None
    return start, start + duration_seconds


def is_active(expression: str, duration_seconds: float, now: float) -> bool:
    """True iff a trigger T has ``T <= now < T + duration``; bad cron or 0 s -> False."""
    return window(expression, duration_seconds, now) is not None


def active_hint(hints: Sequence[ScheduleHint], now: float) -> ScheduleHint | None:
    """The first hint, in order, whose window contains ``now``."""
    for hint in hints:
        if is_active(hint.cron_expression, hint.duration_seconds(), now):
            return hint
    return None


def next_hint_change(hints: Sequence[ScheduleHint], now: float,
                     max_boundaries: int = 64) -> float | None:
    """When the hint in force (name and target) next changes after ``now``.

    Only window edges can change it: a trigger opening a window, or T + duration
    closing one. Edges that change nothing (a window reopening as it closes) are
    passed over; None when no change is found within ``max_boundaries`` edges.
    """
    in_force = _identity(active_hint(hints, now))
    at = now
    for _ in range(max_boundaries):
        edges = [edge for hint in hints for edge in _edges_after(hint, at)]
        if not edges:
            return None
        at = min(edges)
        if _identity(active_hint(hints, at)) != in_force:
            return at
    return None


def _edges_after(hint: ScheduleHint, at: float) -> list[float]:
    schedule, duration = _schedule(hint.cron_expression), hint.duration_seconds()
    if schedule is None or duration <= 0:
        return []
    edges = []
    opening = schedule.next_after(at)
    if opening is not None:
        edges.append(opening)
    last = schedule.previous(at)
    if last is not None and last + duration > at:
        edges.append(last + duration)
    return edges


def _identity(hint: ScheduleHint | None) -> tuple[str, int] | None:
    return None if hint is None else (hint.name, hint.target_replicas)


def hint_prediction(hint: ScheduleHint) -> PredictionData:
    """Prediction data for an active hint: its unclamped target, confidence 1."""
    return PredictionData(hint.target_replicas, 1.0, f"schedule hint: {hint.name}", "schedule",
                          is_schedule_hint=True, hint_name=hint.name,
                          hint_target=hint.target_replicas)


class HintRegistry:
    """The controller's process-wide hint list: the first definition of a name wins."""

    def __init__(self) -> None:
        self._hints: dict[str, ScheduleHint] = {}

    def register(self, hints: Iterable[ScheduleHint]) -> None:
        for hint in hints:
            self._hints.setdefault(hint.name, hint)

    def hints(self) -> list[ScheduleHint]:
        return list(self._hints.values())

    def active(self, now: float) -> ScheduleHint | None:
        return active_hint(self.hints(), now)


def hints_in_force(own: Sequence[ScheduleHint], registry: HintRegistry,
                   model: Model) -> list[ScheduleHint]:
    """The hints a scaler's tick consults: its own (contract), or the shared list (as built).

    As built the scaler's hints are first added to the process-wide ``registry``
    (one per controller process) and the whole list is returned.
    """
    if not model.has("hints-shared-by-name"):
        return list(own)
    registry.register(own)
    return registry.hints()

