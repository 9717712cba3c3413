"""Schedule hints (§5.3): 5-field cron, active windows, hint-only prediction data.

A hint is active at ``now`` iff some trigger time T of its cron satisfies
``T <= now < T + duration``. Cron follows the controller's parser: minute hour
day-of-month month day-of-week; ranges, lists, steps, month/day names, ``*``
and ``?``; an optional ``CRON_TZ=``/``TZ=`` prefix; no ``@daily`` descriptors.
Without a prefix times are read in UTC (the controller's container zone).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from support.reference.budscaler import PredictionData
from support.reference.spec import ScheduleHint

_MONTHS = {m: i + 1 for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split())}
_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
_FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 6, _DAYS))


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

    def day_matches(self, local: datetime) -> bool:
        """Standard cron rule: with both day fields restricted, either suffices."""
        dom = local.day in self.days_of_month
        dow = (local.weekday() + 1) % 7 in self.days_of_week
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow

    def matches(self, local: datetime) -> bool:
        return (local.minute in self.minutes and local.hour in self.hours
                and local.month in self.months and self.day_matches(local))


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
    if not text.isdigit():
        raise ValueError(f"cron {expression!r}: bad value {text!r}")
    return int(text)


def is_active(expression: str, duration_seconds: float, now: float) -> bool:
    """True iff a trigger T has ``T <= now < T + duration``; bad cron or 0 s -> False."""
    if duration_seconds <= 0:
        return False
    try:
        schedule = parse_cron(expression)
    except ValueError:
        return False
    return any(schedule.matches(local) for local in _minutes_back(now, duration_seconds,
                                                                 schedule))


def _minutes_back(now: float, duration: float, schedule: CronSchedule) -> Iterable[datetime]:
    """Whole minutes from now back to (now − duration], skipping days that cannot match."""
    candidate = now - now % 60
    while candidate > now - duration:
        local = datetime.fromtimestamp(candidate, schedule.zone)
        if local.month in schedule.months and schedule.day_matches(local):
            yield local
            candidate -= 60
        else:
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            candidate = min(candidate - 60, midnight.timestamp() - 60)


def active_hint(hints: Sequence[ScheduleHint], now: float) -> ScheduleHint | None:
    """The first hint, in order, whose window contains ``now``."""
    for hint in hints:
        if is_active(hint.cron_expression, hint.duration_seconds(), now):
            return hint
    return None


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

