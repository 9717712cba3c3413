"""Scaler settings in the features' words, turned into BudAIScaler spec changes.

    | setting                  | value                            |
    | minimum replicas         | 0                                |
    | maximum replicas         | 3                                |
    | budget per hour          | $1.50   (or: none)               |
    | budget per day           | $48     (or: none)               |
    | instances                | spot    (or: on-demand)          |
    | cloud provider           | gcp                              |
    | schedule hint "peak"     | 5 replicas all day               |
    | schedule hint "rush"     | 4 replicas at "0 9 * * *" for 1h |
    | schedule hint "rush"     | none                             |
    | schedule hints           | none    (every hint removed)     |
    | look-ahead               | 60 minutes                       |

`spec_changes(spec, rows)` gives the merge patch of `spec` (a dict) that makes these
settings hold (None deletes a field); a schedule hint replaces the hint of that name
or is added after the others. An unknown setting or value is a ValueError naming
what is accepted.
"""

from __future__ import annotations

import copy
import re
from typing import Callable, Iterable

_HINT_SETTING = re.compile(r'schedule hint "(?P<name>[^"]+)"')
_HINT_VALUE = re.compile(r'(?P<replicas>\d+) replicas? (?:(?P<all_day>all day)|at "(?P<cron>[^"]+)" for (?P<duration>\S+))')
_DOLLARS = re.compile(r"\$(\d+(?:\.\d+)?)")
_MINUTES = re.compile(r"(\d+) minutes?")


def _replicas(field: str) -> Callable[[str], dict]:
    def change(value: str) -> dict:
        if not value.isdigit():
            raise ValueError(f"{value!r} is not a number of replicas")
        return {field: int(value)}
    return change


def _budget(field: str) -> Callable[[str], dict]:
    def change(value: str) -> dict:
        if value == "none":
            return {"costConfig": {field: None}}
        match = _DOLLARS.fullmatch(value)
        if match is None:
            raise ValueError(f"{value!r} is not a budget: write it as $3 or $1.50, or none")
        return {"costConfig": {"enabled": True, field: match[1]}}
    return change


def _instances(value: str) -> dict:
    if value not in ("spot", "on-demand"):
        raise ValueError(f"instances are spot or on-demand, not {value!r}")
    return {"costConfig": {"preferSpotInstances": value == "spot"}}


def _look_ahead(value: str) -> dict:
    match = _MINUTES.fullmatch(value)
    if match is None:
        raise ValueError(f"look-ahead {value!r} should read like 30 minutes")
    return {"predictionConfig": {"lookAheadMinutes": int(match[1])}}


def _provider(value: str) -> dict:
    return {"costConfig": {"cloudProvider": value}}


SETTINGS: dict[str, Callable[[str], dict]] = {
    "minimum replicas": _replicas("minReplicas"),
    "maximum replicas": _replicas("maxReplicas"),
    "budget per hour": _budget("budgetPerHour"),
    "budget per day": _budget("budgetPerDay"),
    "instances": _instances,
    "cloud provider": _provider,
    "look-ahead": _look_ahead,
}


def hint(name: str, value: str) -> dict | None:
    """The scheduleHints entry a value describes; None for 'none'."""
    if value == "none":
        return None
    match = _HINT_VALUE.fullmatch(value)
    if match is None:
        raise ValueError(f'schedule hint "{name}": {value!r} should read "5 replicas all day", '
                         '"4 replicas at "0 9 * * 1-5" for 2h" or "none"')
    if match["all_day"]:
        return {"name": name, "cronExpression": "0 0 * * *", "targetReplicas": int(match["replicas"]),
                "duration": "24h"}
    return {"name": name, "cronExpression": match["cron"], "targetReplicas": int(match["replicas"]),
            "duration": match["duration"]}


def spec_changes(spec: dict, rows: Iterable[tuple[str, str]]) -> dict:
    """The merge patch of `spec` that makes the settings hold."""
    changes: dict = {}
    hints = list(copy.deepcopy(spec.get("scheduleHints") or []))
    hints_changed = False
    for setting, value in rows:
        setting, value = setting.strip(), value.strip()
        if setting == "schedule hints":
            if value != "none":
                raise ValueError(f'schedule hints: only "none" removes them all; set one with schedule hint "<name>"')
            hints, hints_changed = [], True
            continue
        found = _HINT_SETTING.fullmatch(setting)
        if found is not None:
            entry = hint(found["name"], value)
            hints = [h for h in hints if h.get("name") != found["name"]] + ([entry] if entry else [])
            hints_changed = True
            continue
        if setting not in SETTINGS:
            raise ValueError(f"unknown scaler setting {setting!r}: use one of {', '.join(SETTINGS)} "
                             'schedule hints, or schedule hint "<name>"')
        _merge(changes, SETTINGS[setting](value))
    if hints_changed:
        changes["scheduleHints"] = hints
    return changes


def apply_changes(spec: dict, changes: dict) -> None:
    """Apply a merge patch to `spec` in place (None deletes), as the API server would."""
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        elif isinstance(value, dict) and isinstance(spec.get(key), dict):
            apply_changes(spec[key], value)
        else:
            spec[key] = copy.deepcopy(value) if not isinstance(value, dict) else _without_nulls(value)


def _without_nulls(value: dict) -> dict:
    return {k: _without_nulls(v) if isinstance(v, dict) else v for k, v in value.items() if v is not None}


def _merge(into: dict, change: dict) -> None:
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
