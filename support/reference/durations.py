"""Go duration strings and Kubernetes resource quantities.

``parse_go_duration("1h30m") == 5400.0`` (seconds, float) follows
``time.ParseDuration``: signed sequence of decimal numbers each with a unit
(ns, us, µs, ms, s, m, h); no days; a bare ``"0"`` is allowed.
``parse_quantity("500m") == 0.5`` follows ``resource.Quantity`` syntax.
Both raise ``ValueError`` on malformed input.
"""
from __future__ import annotations

import re

_DURATION_UNITS = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3,
    "s": 1.0, "m": 60.0, "h": 3600.0,
}
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")

_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(.*)$")
_BINARY_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL_SUFFIX = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6,
                   "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_EXPONENT = re.compile(r"^[eE]([+-]?\d+)$")


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration string such as ``30s``, ``1h30m``, ``1.5h``, ``-2m``."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"invalid duration {text!r}")
    sign = -1.0 if text[0] == "-" else 1.0
    body = text[1:] if text[0] in "+-" else text
    if body == "0":
        return 0.0
    if not body:
        raise ValueError(f"invalid duration {text!r}")
    total, pos = 0.0, 0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if not match:
            raise ValueError(f"invalid duration {text!r}")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    return sign * total


def parse_quantity(value: str | int | float) -> float:
    """A Kubernetes quantity (``"3"``, ``"10.00"``, ``"500m"``, ``"1k"``, ``"1Gi"``, ``"1e3"``) as float."""
    if isinstance(value, bool):
        raise ValueError(f"invalid quantity {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    match = _QUANTITY.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"invalid quantity {value!r}")
    number, suffix = float(match.group(1)), match.group(2)
    if suffix in _BINARY_SUFFIX:
        return number * _BINARY_SUFFIX[suffix]
    if suffix in _DECIMAL_SUFFIX:
        return number * _DECIMAL_SUFFIX[suffix]
    exponent = _EXPONENT.match(suffix)
    if exponent:
        return number * 10.0 ** int(exponent.group(1))
    raise ValueError(f"invalid quantity {value!r}")
