"""Go numeric semantics the controller relies on, reproduced in Python.

Go and Python differ in rounding (``math.Round`` is half away from zero,
Python's ``round`` is banker's), in float-to-int conversion of NaN/Inf (Go
yields a garbage integer, Python raises) and in ``Sqrt`` of negatives (Go
yields NaN). See the behaviour catalogue, Appendix A.
"""
from __future__ import annotations

import math

# What amd64 produces for int32(NaN), int32(±Inf) and out-of-range values
# (the "integer indefinite" 0x80000000). The Go spec leaves it
# implementation-defined; the controller only relies on it being <= 0.
GO_INT_INDEFINITE = -(2**31)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def go_round(x: float) -> float:
    """``math.Round``: half away from zero; NaN and ±Inf are returned as is."""
    if not math.isfinite(x):
        return x
    t = float(math.trunc(x))
    if x >= 0:
        return t + (1.0 if x - t >= 0.5 else 0.0)
    return t - (1.0 if t - x >= 0.5 else 0.0)


def go_int(x: float) -> int:
    """``int32(x)``: truncation toward zero; NaN/Inf/out of range -> GO_INT_INDEFINITE."""
    if not math.isfinite(x):
        return GO_INT_INDEFINITE
    t = math.trunc(x)
    if t < _INT32_MIN or t > _INT32_MAX:
        return GO_INT_INDEFINITE
    return t


def go_ceil(x: float) -> int:
    """``int32(math.Ceil(x))``, NaN-safe."""
    return go_int(math.ceil(x)) if math.isfinite(x) else go_int(x)


def go_floor(x: float) -> int:
    """``int32(math.Floor(x))``, NaN-safe."""
    return go_int(math.floor(x)) if math.isfinite(x) else go_int(x)


def go_sqrt(x: float) -> float:
    """``math.Sqrt``: NaN for negative input instead of raising."""
    if math.isnan(x) or x < 0:
        return math.nan
    return math.sqrt(x)


def parse_go_float(text: str) -> float | None:
    """``strconv.ParseFloat(text, 64)``, or None where Go would return an error.

    Go accepts no surrounding whitespace and no underscores in decimal input,
    both of which Python's ``float`` would tolerate.
    """
    if not isinstance(text, str) or not text or text != text.strip() or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def parse_go_int(text: str) -> int | None:
    """``strconv.Atoi``: optional sign and decimal digits only, else None."""
    if not isinstance(text, str):
        return None
    body = text[1:] if text[:1] in "+-" else text
    if not body.isascii() or not body.isdigit():
        return None
    return int(text)
