"""Kubernetes resource quantities, exactly (``k8s.io/apimachinery/pkg/api/resource``).

``durations.parse_quantity`` gives a float for budgets; the HPA needs what the
API machinery does: ``MilliValue()`` (rounded up to a whole milli-unit) and the
canonical string a Quantity serializes to (``"0.7"`` -> ``"700m"``,
``"1000"`` -> ``"1k"``, ``"1536Mi"`` -> ``"1536Mi"``, ``"1e3"`` -> ``"1e3"``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

_SYNTAX = re.compile(r"^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))((?:[eE][+-]?[0-9]+)|[numkMGTPE]|[KMGTPE]i)?$")
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXP = {exp: suffix for suffix, exp in _DECIMAL.items()}
NANO = Decimal("1e-9")


class QuantityError(ValueError):
    """Not a Kubernetes quantity."""


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    format: str            # "DecimalSI" | "BinarySI" | "DecimalExponent"

    def milli_value(self) -> int:
        """``MilliValue()``: the value in milli-units, rounded up."""
        return int((self.value * 1000).to_integral_value(rounding=ROUND_CEILING))

    def value_int(self) -> int:
        """``Value()``: the value in units, rounded up."""
        return int(self.value.to_integral_value(rounding=ROUND_CEILING))

    def canonical(self) -> str:
        """The string the API machinery serializes this quantity to."""
        value = _round_to_nano(self.value)
        if self.format == "BinarySI" and abs(value) >= 1024 and value == value.to_integral_value():
            for suffix, power in sorted(_BINARY.items(), key=lambda kv: -kv[1]):
                if value % (1 << power) == 0:
                    return f"{int(value) >> power}{suffix}"     # exact: value is a multiple of 2**power
        exponent, mantissa = _largest_exponent(value)
        if self.format == "DecimalExponent":
            return f"{mantissa}e{exponent}" if exponent else str(mantissa)
        return f"{mantissa}{_DECIMAL_BY_EXP[exponent]}"


def parse(text: str | int | float) -> Quantity:
    """``resource.ParseQuantity``; QuantityError when the syntax is wrong."""
    if isinstance(text, bool):
        raise QuantityError(f"quantities must match the regular expression: {text!r}")
    if isinstance(text, (int, float)):
        text = str(text)                    # str is repr for Python's numbers: "5", "0.5", "1e-07"
    match = _SYNTAX.match(text.strip()) if isinstance(text, str) and text == text.strip() else None
    if not match:
        raise QuantityError(f"quantities must match the regular expression "
                            f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text!r}")
    number, suffix = Decimal(match.group(1)), match.group(2) or ""
    if suffix in _BINARY:
        return Quantity(number * (1 << _BINARY[suffix]), "BinarySI")
    if suffix in _DECIMAL:
        return Quantity(number.scaleb(_DECIMAL[suffix]), "DecimalSI")
    return Quantity(number.scaleb(int(suffix[1:])), "DecimalExponent")


def milli_value(text: str | int | float) -> int:
    return parse(text).milli_value()


def canonical(text: str | int | float) -> str:
    return parse(text).canonical()


def from_milli(milli: int, format: str = "DecimalSI") -> str:
    """``resource.NewMilliQuantity(milli, format).String()``."""
    return Quantity(Decimal(milli).scaleb(-3), format).canonical()


def _round_to_nano(value: Decimal) -> Decimal:
    return (value / NANO).to_integral_value(rounding=ROUND_CEILING) * NANO


def _largest_exponent(value: Decimal) -> tuple[int, int]:
    if value == 0:
        return 0, 0
    exponent = 18                           # exa down to nano (-9), where a value rounded to nano is integral
    while value.scaleb(-exponent) != value.scaleb(-exponent).to_integral_value():
        exponent -= 3
    return exponent, int(value.scaleb(-exponent))
