"""Kubernetes quantities to the letter: the format a parse keeps, rounding up, and the canonical strings at the
edges (1024 in each format, negative binary multiples, an exponent of zero)."""
from decimal import Decimal

import pytest
from hamcrest import assert_that, calling, equal_to, raises

from support.reference.quantity import Quantity, QuantityError, canonical, parse


@pytest.mark.parametrize("text, quantity", [
    ("1k", Quantity(Decimal(1000), "DecimalSI")),
    ("1Ki", Quantity(Decimal(1024), "BinarySI")),
    ("1e3", Quantity(Decimal(1000), "DecimalExponent")),
    (5, Quantity(Decimal(5), "DecimalSI")),
    (0.5, Quantity(Decimal("0.5"), "DecimalSI")),
])
def test_parse_keeps_the_format(text, quantity):
    assert_that(parse(text), equal_to(quantity), f"parse({text!r})")


def test_a_boolean_is_not_a_quantity():
    assert_that(calling(parse).with_args(True),
                raises(QuantityError, "^quantities must match the regular expression: True$"))


@pytest.mark.parametrize("text, units", [("1.2", 2), ("1500m", 2), ("2.5", 3), ("-1.5", -1)])
def test_value_rounds_up(text, units):
    assert_that(parse(text).value_int(), equal_to(units), f"Value() of {text} rounds towards +infinity")


@pytest.mark.parametrize("text, string", [
    ("1024", "1024"), ("2048", "2048"),          # decimal stays decimal
    ("1Ki", "1Ki"), ("-2Ki", "-2Ki"), ("-1536Mi", "-1536Mi"), ("1023", "1023"),
    ("5e0", "5"), ("5e3", "5e3"), ("1E", "1E"), ("0.000000001", "1n"), ("1.5", "1500m"),
])
def test_canonical_strings(text, string):
    assert_that(canonical(text), equal_to(string), f"the canonical form of {text}")
