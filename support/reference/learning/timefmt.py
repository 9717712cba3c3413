"""Go ``time.Time`` as JSON: RFC 3339 in UTC, with Go's zero time for "unset".

The controller stores times as Go ``time.Time`` values; an unset time marshals
as ``0001-01-01T00:00:00Z``. Here an unset time is ``None``.
"""
from __future__ import annotations

from datetime import datetime, timezone

GO_ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339(ts: float | None, *, fractional: bool = False) -> str:
    """Epoch seconds -> ``2026-01-05T10:00:00Z``; None -> Go's zero time.

    With ``fractional`` the sub-second part is kept (trailing zeros trimmed),
    as Go's RFC 3339 "nano" layout does for ``time.Time`` in JSON.
    """
    if ts is None:
        return GO_ZERO_TIME
    moment = datetime.fromtimestamp(ts, timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if fractional and moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_rfc3339(text: str | None) -> float | None:
    """The inverse of :func:`rfc3339`; the zero time, None or "" -> None."""
    if not text:
        return None
    if not isinstance(text, str):
        raise ValueError(f"time must be an RFC 3339 string, got {text!r}")
    if text.startswith("0001-01-01T00:00:00"):
        return None
    moment = datetime.fromisoformat(text)  # ValueError names the text
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone")
    return moment.timestamp()
