"""Go numeric semantics (Appendix A), Go durations and Kubernetes quantities."""
import math

import pytest

from support.reference.durations import parse_go_duration, parse_quantity
from support.reference.gomath import (GO_INT_INDEFINITE, go_ceil, go_floor, go_int, go_round,
                                      go_sqrt, parse_go_float, parse_go_int)


@pytest.mark.parametrize("x, expected", [
    (2.5, 3), (1.5, 2), (0.5, 1), (0.49999999999999994, 0), (2.4999, 2), (0.0, 0),
    (-2.5, -3), (-1.5, -2), (-0.5, -1), (-0.49999999999999994, 0), (-2.4, -2),
    (1.4285714285714286, 1), (3.5, 4),
])
def test_go_round_is_half_away_from_zero(x, expected):
    assert go_round(x) == expected


def test_go_round_keeps_nan_and_inf():
    assert math.isnan(go_round(math.nan))
    assert go_round(math.inf) == math.inf


@pytest.mark.parametrize("x, expected", [(2.9, 2), (-2.9, -2), (0.0, 0), (7.0, 7)])
def test_go_int_truncates(x, expected):
    assert go_int(x) == expected


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf, 1e20])
def test_go_int_of_nan_inf_and_overflow_is_a_fixed_non_positive_integer(x):
    assert go_int(x) == GO_INT_INDEFINITE <= 0


def test_ceil_floor_return_int_and_are_nan_safe():
    assert go_ceil(1.0000001) == 2 and isinstance(go_ceil(1.2), int)
    assert go_floor(1.9) == 1 and go_floor(-1.1) == -2
    assert go_ceil(math.nan) == GO_INT_INDEFINITE
    assert go_floor(math.nan) == GO_INT_INDEFINITE


def test_go_sqrt_of_negative_is_nan():
    assert math.isnan(go_sqrt(-1e-18))
    assert go_sqrt(4.0) == 2.0


@pytest.mark.parametrize("text, expected", [("2", 2.0), ("0.7", 0.7), ("1e3", 1000.0), ("-1.5", -1.5)])
def test_parse_go_float_accepts(text, expected):
    assert parse_go_float(text) == expected


@pytest.mark.parametrize("text", ["", " 2", "2 ", "42\n", "1_000", "abc", None])
def test_parse_go_float_rejects_what_go_rejects(text):
    assert parse_go_float(text) is None


def test_parse_go_int():
    assert parse_go_int("12") == 12 and parse_go_int("-3") == -3
    assert parse_go_int("1.5") is None and parse_go_int("") is None


@pytest.mark.parametrize("text, seconds", [
    ("30s", 30), ("1m", 60), ("1h30m", 5400), ("1.5h", 5400), ("2h", 7200), ("0", 0),
    ("90s", 90), ("500ms", 0.5), ("-2m", -120), ("1h0m0s", 3600), (".5m", 30),
])
def test_parse_go_duration(text, seconds):
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "1d", "30", "h", "1h 30m", "-", "1.5.5h"])
def test_parse_go_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_go_duration(text)


@pytest.mark.parametrize("value, expected", [
    ("3", 3.0), ("10.00", 10.0), ("500m", 0.5), ("1k", 1000.0), ("1Ki", 1024.0),
    ("1e3", 1000.0), ("+2", 2.0), (".5", 0.5), (5, 5.0), (2.5, 2.5), ("1M", 1e6),
])
def test_parse_quantity(value, expected):
    assert parse_quantity(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["", "abc", "1x", "1 k", "k", True])
def test_parse_quantity_rejects(value):
    with pytest.raises(ValueError):
        parse_quantity(value)
