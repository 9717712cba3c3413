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

