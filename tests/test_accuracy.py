"""The suite's own accuracy arithmetic, on small hand-worked series."""
import pytest

from support.accuracy import (AccuracySummary, Sample, direction_accuracy, ewma, mae, mape,
                              mape_controller_style, parse_number, parse_percent)

SERIES = [(3, 2), (4, 8), (3, 3)]  # (predicted, actual)


def test_mae_and_mape():
    assert mae(SERIES) == pytest.approx(5 / 3)       # (1 + 4 + 0) / 3
    assert mape(SERIES) == pytest.approx(100 / 3)    # (50 + 50 + 0) / 3


def test_samples_and_pairs_are_interchangeable():
    samples = [Sample(60.0 * i, p, a) for i, (p, a) in enumerate(SERIES)]
    assert mae(samples) == mae(SERIES)
    assert direction_accuracy(samples) == direction_accuracy(SERIES)


def test_zero_actuals_are_excluded_from_mape_but_zero_in_controller_style():
    series = [(1, 0), (3, 2)]
    assert mape(series) == pytest.approx(50.0)
    assert mape_controller_style(series) == pytest.approx(25.0)


def test_all_zero_actuals():
    assert mape([(1, 0), (2, 0)]) is None
    assert mape_controller_style([(1, 0), (2, 0)]) == 0.0


def test_empty_inputs_give_none():
    assert mae([]) is None and mape([]) is None and mape_controller_style([]) is None
    assert ewma([]) is None


def test_direction_accuracy_relative_to_the_previous_actual():
    assert direction_accuracy(SERIES) == 1.0  # 2 -> (4 up, 8 up); 8 -> (3 down, 3 down)
    series = [(5, 5), (6, 5), (4, 6), (6, 6)]
    # 5 -> (6 up, 5 none) wrong; 5 -> (4 down, 6 up) wrong; 6 -> predicted == actual right
    assert direction_accuracy(series) == pytest.approx(1 / 3)
    assert direction_accuracy([(1, 1), (1, 1)]) == 1.0  # both unchanged
    assert direction_accuracy([(1, 1)]) is None


def test_ewma_takes_the_first_value_as_is():
    assert ewma([10.0]) == 10.0
    assert ewma([10.0, 20.0, 0.0]) == pytest.approx(9.9)  # 10 -> 11 -> 9.9
    assert ewma([10.0, 20.0], alpha=0.5) == 15.0


@pytest.mark.parametrize("text, value", [("66.7%", 66.7), ("0.0%", 0.0), ("6.25%", 6.25)])
def test_parse_percent(text, value):
    assert parse_percent(text) == value


@pytest.mark.parametrize("text", ["66.7", "abc%", "NaN%", " 1%", "", None, "%"])
def test_parse_percent_rejects_with_the_value_named(text):
    with pytest.raises(ValueError) as failure:
        parse_percent(text)
    assert repr(text) in str(failure.value)


def test_parse_number():
    assert parse_number("0.38") == 0.38


@pytest.mark.parametrize("text", ["0.38%", "x", "inf", None])
def test_parse_number_rejects_with_the_value_named(text):
    with pytest.raises(ValueError) as failure:
        parse_number(text)
    assert repr(text) in str(failure.value)


def test_summary_table_is_fixed_width():
    summary = AccuracySummary.of([(3, 2), (4, 8), (3, 3), (2, 0)])
    assert summary.samples == 4
    assert summary.mape == pytest.approx(100 / 3)
    assert summary.mape_controller_style == pytest.approx(25.0)
    # |err| 1, 4, 0, 2 -> 1, 1.3, 1.17, 1.253
    assert summary.ewma_mae == pytest.approx(1.253)
    lines = summary.table().splitlines()
    assert len({len(line) for line in lines}) == 1
    assert lines[0].split() == ["samples", "4"]
    assert "33.33%" in summary.table()
    assert AccuracySummary.of([]).table().count("n/a") == 6
