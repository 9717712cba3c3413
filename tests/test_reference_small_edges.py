"""Edges of the small pure modules: cost, pods, Go numbers and durations, metric parsing, prediction inputs.

Written against the survivors of `make mutation` in support/reference/{cost,pods,gomath,durations,metrics,
prediction}.py: each test pins a boundary or a default a mutant moved.
"""

import pytest

from support.reference.cost import (Advice, Budget, _quantity, budget_advice, cost_status, hourly_cost,
                                    is_within_budget, price_per_hour, spot_savings)
from support.reference.durations import parse_go_duration, parse_quantity
from support.reference.gomath import GO_INT_INDEFINITE, go_int, go_round, parse_go_float, parse_go_int
from support.reference.metrics import parse_metric
from support.reference.model import CONTRACT
from support.reference.pods import PodCounts, running_pods, should_gate
from support.reference.prediction import is_confident, look_ahead_minutes, primary_metric
from support.reference.budscaler import PredictionData
from support.reference.spec import CostConfig, ScalerSpec

G5 = 1.02  # aws g5.xlarge on demand, per hour


# -- cost ---------------------------------------------------------------------------------------
def test_an_unparsable_budget_is_no_budget():
    assert _quantity("lots") == 0.0
    assert _quantity(None) == 0.0


def test_the_calculators_advice_in_every_case():
    assert budget_advice(1, 3, "aws", "no-such-type", False, None) == Advice(
        3, 0.0, "unknown instance type, allowing scaling")
    assert budget_advice(3, 2, "aws", "g5.xlarge", False, Budget(1.0)) == Advice(
        2, pytest.approx(2 * G5), "scale down always allowed")
    assert budget_advice(3, 3, "aws", "g5.xlarge", False, Budget(1.0)) == Advice(
        3, pytest.approx(3 * G5), "scale down always allowed")
    assert budget_advice(1, 3, "aws", "g5.xlarge", False, Budget()) == Advice(
        3, pytest.approx(3 * G5), "within budget (no budget set)")


def test_advice_under_a_daily_budget_alone_and_a_small_hourly_one():
    daily = budget_advice(1, 5, "aws", "g5.xlarge", False, Budget(per_day=24 * 3 * G5 + 0.001))
    assert (daily.replicas, daily.budget_utilization) == (3, 0.0)  # no hourly budget: no utilisation
    tiny = budget_advice(1, 5, "aws", "g5.xlarge", False, Budget(per_hour=0.5, per_day=1.0))
    assert tiny.replicas == 1  # neither limit affords one more; never below current
    assert tiny.budget_utilization == pytest.approx(G5 / 0.5 * 100)


def test_within_budget_means_at_most_the_budget():
    assert is_within_budget(2.0, Budget(per_hour=2.0))
    assert not is_within_budget(2.01, Budget(per_hour=2.0))
    assert is_within_budget(0.5, Budget(per_hour=0.5))
    assert not is_within_budget(0.6, Budget(per_hour=0.5))
    assert is_within_budget(1.0, Budget(per_day=24.0))
    assert not is_within_budget(0.04, Budget(per_day=0.5))
    assert Budget(per_day=0.5).is_set()


def test_prices_default_to_aws_and_unknown_providers_have_none():
    assert hourly_cost("", "g5.xlarge", 2, False) == pytest.approx(2 * G5)
    assert spot_savings("nowhere", "g5.xlarge") == 0.0
    with pytest.raises(LookupError):
        price_per_hour("nowhere", "g5.xlarge", False)


def test_budget_utilisation_under_a_budget_below_one():
    status = cost_status(CostConfig(enabled=True, budget_per_hour="0.5"), 1, CONTRACT)
    assert status["budgetUtilization"] == round(G5 / 0.5 * 100)


# -- pods -----------------------------------------------------------------------------------------
def test_a_pod_without_a_phase_is_not_running():
    assert running_pods([{"status": {}}, {}]) == []


def test_pending_pods_being_deleted_are_not_starting():
    pending = {"status": {"phase": "Pending"}}
    deleting = {"metadata": {"deletionTimestamp": "2026-01-05T10:00:00Z"}, "status": {"phase": "Pending"}}
    assert PodCounts.from_pods([pending, deleting]).pending == 1


@pytest.mark.parametrize("ready, starting, max_pods, max_percent, gated", [
    (1, 1, 0, 0, False),     # no gate configured
    (1, 1, 1, 0, True),      # one starting pod at most
    (1, 0, 1, 0, False),
    (0, 1, 0, 1, True),      # 100 % starting against a 1 % limit
    (99, 1, 0, 1, True),     # exactly 1 %
    (1, 0, 0, 1, False),     # nothing starting
    (0, 0, 0, 50, False),    # no pods at all
    (1, 1, 0, 50, True),     # one of two pods: 50 %
])
def test_the_starting_pods_gate(ready, starting, max_pods, max_percent, gated):
    assert should_gate(ready, starting, max_pods, max_percent) is gated


# -- Go numbers and durations ---------------------------------------------------------------------
def test_go_int_keeps_the_int32_bounds_themselves():
    assert go_int(2**31 - 1) == 2**31 - 1
    assert go_int(-(2**31)) == -(2**31)
    assert go_int(2.0**31) == GO_INT_INDEFINITE


def test_go_round_of_zero_and_halves():
    assert go_round(0.0) == 0.0
    assert go_round(0.5) == 1.0 and go_round(-0.5) == -1.0


def test_go_parsers_take_a_sign_and_refuse_the_rest():
    assert parse_go_float("+1.5") == 1.5
    assert parse_go_float(7) is None
    assert parse_go_int("-3") == -3 and parse_go_int("12") == 12
    assert parse_go_int("X3") is None
    assert parse_go_duration("+90s") == 90.0
    assert parse_go_duration("-1m") == -60.0
    with pytest.raises(ValueError, match="invalid duration 'X9s'"):
        parse_go_duration("X9s")


@pytest.mark.parametrize("bad", ["", "9", "1x", "--1s"])
def test_a_bad_duration_names_itself(bad):
    with pytest.raises(ValueError, match=f"invalid duration {bad!r}"):
        parse_go_duration(bad)


@pytest.mark.parametrize("bad", ["", "1.2.3", "5Xi", [1]])
def test_a_bad_quantity_names_itself(bad):
    with pytest.raises(ValueError, match=f"invalid quantity {bad!r}".replace("[", r"\[").replace("]", r"\]")):
        parse_quantity(bad)


# -- metric parsing -------------------------------------------------------------------------------
def test_json_without_nan_and_only_objects():
    with pytest.raises(LookupError):
        parse_metric('{"load": NaN}', "load")
    with pytest.raises(LookupError):
        parse_metric("[1, 2]", "load")


def test_prometheus_text_skips_comments_and_blank_lines_and_reads_exponents():
    body = "# HELP load the load\n\nload 1E2\nother 5\nload{pod=\"a\"} 3e1\n#load 7\n"
    assert parse_metric(body, "load") == pytest.approx(65.0)
    assert parse_metric("load 1\nload 2.5.5\nload 3\n", "load") == pytest.approx(2.0)


# -- prediction inputs -----------------------------------------------------------------------------
def test_confident_from_07():
    assert is_confident(PredictionData(3, 0.7, "", "timeseries"))


def test_the_primary_metric_and_look_ahead_without_config():
    plain = ScalerSpec.from_object({"spec": {"metricsSources": [{"targetMetric": "a"}, {"targetMetric": "b"}]}})
    assert primary_metric(plain) == "a"
    assert primary_metric(ScalerSpec.from_object({"spec": {}})) == ""
    assert look_ahead_minutes(plain, CONTRACT) == 15
    listed = ScalerSpec.from_object({"spec": {"metricsSources": [{"targetMetric": "a"}],
                                              "predictionConfig": {"predictionMetrics": ["c"]}}})
    assert primary_metric(listed) == "c"
    assert look_ahead_minutes(listed, CONTRACT) == 15


def test_a_daily_budget_below_one_still_limits():
    assert budget_advice(1, 5, "aws", "g5.xlarge", False, Budget(per_day=0.9)).replicas == 1


def test_the_hourly_cost_is_priced_by_the_provider_it_names():
    assert hourly_cost("gcp", "a2-highgpu-1g", 2, False) == pytest.approx(2 * 3.67)


def test_a_sign_alone_is_no_duration_and_a_bool_no_quantity():
    with pytest.raises(ValueError, match="invalid duration '-'"):
        parse_go_duration("-")
    with pytest.raises(ValueError, match="invalid quantity True"):
        parse_quantity(True)
