"""Reading the quantities the features speak in: durations and percentages (cluster time)."""

from __future__ import annotations

import re

_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}


def parse_duration(text: str) -> float:
    """'90 seconds' -> 90.0, '3 minutes' -> 180.0, '1 hour' -> 3600.0."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s+(second|minute|hour)s?\s*", text)
    if not match:
        raise ValueError(f"{text!r} is not a duration: write e.g. '90 seconds' or '3 minutes'")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_percent(text: str) -> float:
    """'85%' -> 85.0."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", text)
    if not match:
        raise ValueError(f"{text!r} is not a percentage: write e.g. '85%'")
    return float(match.group(1))


_LOAD = re.compile(r"\s*(\d+(?:\.\d+)?)% GPU cache, (\d+) running, (\d+) waiting\s*")
_PATTERN = re.compile(r"\s*the (\w+) pattern\s*")


def parse_load(text: str) -> tuple[str, dict]:
    """A phase of a traffic trace -> the mock call that serves it.

    '50% GPU cache, 10 running, 2 waiting' -> ('/set', {...}); 'the kv_pressure pattern' -> ('/set_pattern', {...}).
    """
    if match := _LOAD.fullmatch(text):
        return "/set", {"gpu_cache": float(match.group(1)), "requests_running": int(match.group(2)),
                        "requests_waiting": int(match.group(3))}
    if match := _PATTERN.fullmatch(text):
        return "/set_pattern", {"mode": match.group(1)}
    raise ValueError(f"{text!r} is not a load: write '50% GPU cache, 10 running, 2 waiting' or 'the normal pattern'")
