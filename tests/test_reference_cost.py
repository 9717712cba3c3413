"""Cost-aware scaling (§5.2, §4.3 step 5): the calculator, the budget, costStatus, and BudScaler
held by a budget, worked by hand with the controller's prices (g5.xlarge: 1.02 on demand, 0.31 spot)."""
import math

import pytest

from support.reference.budscaler import CostMetrics, PredictionData, ScaleRequest, recommend
from support.reference.cost import (Budget, UnknownInstanceType, budget_advice, budget_of, cost_metrics,
                                    cost_status, hourly_budget, hourly_cost, is_within_budget,
                                    price_per_hour, projected_daily_cost, spot_savings)
from support.reference.metrics import snapshot
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.scaling_context import ScalingContext
from support.reference.spec import CostConfig, ScalerSpec
from support.reference.stabilization import RecommendationWindow

SPOT = CostConfig(enabled=True, budget_per_hour="3", prefer_spot_instances=True)  # cost-test.yaml


def test_price_tables():
    assert price_per_hour("aws", "g5.xlarge", spot=False) == 1.02
    assert price_per_hour("aws", "g5.xlarge", spot=True) == 0.31
    assert price_per_hour("", "g4dn.xlarge", spot=False) == 0.526  # provider unset -> aws
    assert price_per_hour("gcp", "a2-highgpu-8g", spot=True) == 8.82
    assert price_per_hour("azure", "Standard_ND96asr_v4", spot=False) == 27.20
    with pytest.raises(UnknownInstanceType, match="^unknown instance type: g5.xlarge$"):
        price_per_hour("gcp", "g5.xlarge", spot=False)


def test_hourly_and_daily_cost_and_spot_savings():
    assert hourly_cost("aws", "g5.xlarge", 3, spot=True) == pytest.approx(0.93)
    assert projected_daily_cost(0.93) == pytest.approx(22.32)
    assert spot_savings("aws", "g5.xlarge") == pytest.approx(1 - 0.31 / 1.02)  # 69.6 %
    assert spot_savings("gcp", "g5.xlarge") == 0.0


@pytest.mark.parametrize("config, contract, as_built", [
    (CostConfig(enabled=True, budget_per_hour="3"), 3.0, 3.0),
    (CostConfig(enabled=True, budget_per_hour="3", budget_per_day="48"), 2.0, 3.0),   # 48 / 24 = 2
    (CostConfig(enabled=True, budget_per_hour="3", budget_per_day="96"), 3.0, 3.0),   # 96 / 24 = 4
    (CostConfig(enabled=True, budget_per_day="24"), 1.0, 0.0),
    (CostConfig(enabled=True, budget_per_hour="2500m"), 2.5, 2.5),
    (CostConfig(enabled=True), 0.0, 0.0),
])
def test_hourly_budget_from_per_hour_and_per_day(config, contract, as_built):
    budget = budget_of(config)
    assert hourly_budget(budget, CONTRACT) == pytest.approx(contract)
    assert hourly_budget(budget, AS_BUILT) == pytest.approx(as_built)


def test_is_within_budget():
    assert is_within_budget(2.79, Budget(per_hour=3))
    assert not is_within_budget(3.10, Budget(per_hour=3))
    assert not is_within_budget(2.5, Budget(per_hour=3, per_day=48))   # 24 x 2.5 = 60 > 48
    assert is_within_budget(1000.0, None) and is_within_budget(1000.0, Budget())


def test_budget_advice_of_the_calculator():
    # spot 0.31, budget 3/h: trunc(3 / 0.31) = 9 replicas, 9 x 0.31 = 2.79 = 93 % of 3
    advice = budget_advice(3, 10, "aws", "g5.xlarge", True, Budget(per_hour=3))
    assert (advice.replicas, advice.reason) == (9, "limited by budget (max 9 replicas)")
    assert advice.cost_per_hour == pytest.approx(2.79)
    assert advice.budget_utilization == pytest.approx(93.0)
    # and 48 a day: trunc((48 / 24) / 0.31) = 6
    assert budget_advice(3, 10, "aws", "g5.xlarge", True, Budget(3, 48)).replicas == 6
    assert budget_advice(3, 8, "aws", "g5.xlarge", True, Budget(per_hour=3)).reason == "within budget"
    assert budget_advice(5, 2, "aws", "g5.xlarge", True, Budget(per_hour=0.1)).reason == \
        "scale down always allowed"
    assert budget_advice(3, 10, "aws", "g5.xlarge", True, Budget()).reason == \
        "within budget (no budget set)"
    assert budget_advice(3, 10, "gcp", "g5.xlarge", True, Budget(3)) .reason == \
        "unknown instance type, allowing scaling"
    # never below current: 1 on-demand replica costs more than 0.5 but stays
    assert budget_advice(1, 4, "aws", "g5.xlarge", False, Budget(per_hour=0.5)).replicas == 1


def test_cost_metrics_for_budscaler():
    assert cost_metrics(SPOT, 3, CONTRACT) == CostMetrics(pytest.approx(0.93), 3.0, 0.31)
    assert cost_metrics(None, 3, CONTRACT) is None
    assert cost_metrics(CostConfig(enabled=False, budget_per_hour="3"), 3, CONTRACT) is None
    for provider in ("gcp", "azure"):  # no price for g5.xlarge: no limit, in both models
        config = CostConfig(enabled=True, cloud_provider=provider, budget_per_hour="3")
        assert cost_metrics(config, 3, CONTRACT) is None and cost_metrics(config, 3, AS_BUILT) is None


def test_no_budget_is_no_limit_but_as_built_a_budget_of_zero():
    config = CostConfig(enabled=True, prefer_spot_instances=True)
    assert cost_metrics(config, 3, CONTRACT) is None
    assert cost_metrics(config, 3, AS_BUILT) == CostMetrics(pytest.approx(0.93), 0.0, 0.31)


def test_price_per_replica_at_zero_replicas():
    assert cost_metrics(SPOT, 0, CONTRACT) == CostMetrics(0.0, 3.0, 0.31)
    assert math.isnan(cost_metrics(SPOT, 0, AS_BUILT).per_replica_cost_per_hour)


def test_cost_status():
    # 9 spot replicas: 2.79/h, 66.96/day, 93 % of 3
    assert cost_status(SPOT, 9, CONTRACT) == {
        "currentHourlyCost": "2.79", "projectedDailyCost": "66.96", "budgetUtilization": 93,
        "spotInstancesInUse": 9, "onDemandInstancesInUse": 0}
    on_demand = CostConfig(enabled=True)
    assert cost_status(on_demand, 2, CONTRACT) == {
        "currentHourlyCost": "2.04", "projectedDailyCost": "48.96", "budgetUtilization": 0,
        "spotInstancesInUse": 0, "onDemandInstancesInUse": 2}
    assert cost_status(SPOT, 9, AS_BUILT) is None
    assert cost_status(CostConfig(enabled=True, cloud_provider="azure"), 2, CONTRACT) is None


# --- BudScaler held by the budget (§4.3 step 5 after the clamp) ----------------------------

def decide(current, load, cost_config=SPOT, model=CONTRACT, min_replicas=1, prediction=None):
    spec = ScalerSpec.from_object({"spec": {
        "scaleTargetRef": {"kind": "Deployment", "name": "llm-inference-sim"},
        "minReplicas": min_replicas, "maxReplicas": 10,
        "metricsSources": [{"metricSourceType": "pod", "targetMetric": "kv", "targetValue": "0.5"}],
        "costConfig": {"enabled": cost_config.enabled, "cloudProvider": cost_config.cloud_provider,
                       "budgetPerHour": cost_config.budget_per_hour,
                       "budgetPerDay": cost_config.budget_per_day,
                       "preferSpotInstances": cost_config.prefer_spot_instances},
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}}}})
    snapshots = {} if load is None else {"kv": snapshot([load])}
    request = ScaleRequest(spec, ScalingContext.build(spec, {}, model), current, current, 0, snapshots,
                           1_000_000.0, None, cost=cost_metrics(spec.cost_config, current, model),
                           prediction=prediction)
    return recommend(request, model, RecommendationWindow())


def test_scale_up_stops_where_the_next_replica_would_pass_the_budget():
    # 8 replicas at twice the target: 8 x (1 + 0.8 x 1) = 14.4 -> 15 -> max 10
    # C = 8 x 0.31 = 2.48; 2.48 + 2 x 0.31 = 3.10 > 3 -> 8 + trunc(0.52 / 0.31) = 9
    result = decide(8, 1.0)
    assert result.replicas == 9
    assert result.reason == "BudScaler: Scaling up from 8 to 9 replicas (budget usage: 82.7%)"
    # at 9: 2.79 + 0.31 = 3.10 > 3, headroom 0.21 < 0.31 -> stays 9 (93.0 %)
    held = decide(9, 1.0)
    assert (held.replicas, held.reason) == (9, "BudScaler: No scaling needed at 9 replicas "
                                               "(budget usage: 93.0%)")


def test_a_higher_budget_releases_the_replicas():
    raised = CostConfig(enabled=True, budget_per_hour="4", prefer_spot_instances=True)
    assert decide(9, 1.0, raised).replicas == 10      # 2.79 + 0.31 = 3.10 <= 4


def test_over_budget_scales_down_to_what_the_budget_pays():
    lowered = CostConfig(enabled=True, budget_per_hour="2", prefer_spot_instances=True)
    assert decide(9, 1.0, lowered).replicas == 6      # 2.79 > 2: trunc(2 / 0.31) = 6


def test_on_demand_prices_more_than_spot():
    on_demand = CostConfig(enabled=True, budget_per_hour="3")
    # at 2: C = 2.04; 2.04 + 2 x 1.02 > 3 -> 2 + trunc(0.96 / 1.02) = 2: held at 2
    assert decide(2, 1.0, on_demand).replicas == 2
    assert decide(2, 1.0, SPOT).replicas == 4         # spot: 0.62 + 2 x 0.31 <= 3


def test_budget_per_day_caps_under_the_contract_only():
    daily = CostConfig(enabled=True, budget_per_day="48", prefer_spot_instances=True)
    # contract: 48 / 24 = 2 per hour; at 8: 2.48 > 2 -> trunc(2 / 0.31) = 6
    assert decide(8, 1.0, daily, CONTRACT).replicas == 6
    # as built: no hourly budget, so B = 0 and the ceiling is max(1, trunc(0 / 0.31)) = 1
    assert decide(8, 1.0, daily, AS_BUILT).replicas == 1


def test_cost_enabled_without_a_budget():
    no_budget = CostConfig(enabled=True, prefer_spot_instances=True)
    assert decide(8, 1.0, no_budget, CONTRACT).replicas == 10
    assert decide(8, 1.0, no_budget, AS_BUILT, min_replicas=2).replicas == 2


def test_the_budget_beats_min_replicas_under_the_contract():
    tight = CostConfig(enabled=True, budget_per_hour="1")
    # at 4 on demand: 4.08 > 1 -> max(1, trunc(1 / 1.02)) = 1; as built the clamp lifts it to 4
    assert decide(4, 0.5, tight, CONTRACT, min_replicas=4).replicas == 1
    assert decide(4, 0.5, tight, AS_BUILT, min_replicas=4).replicas == 4


def test_other_providers_are_not_held():
    gcp = CostConfig(enabled=True, cloud_provider="gcp", budget_per_hour="1")
    result = decide(8, 1.0, gcp)
    assert (result.replicas, result.reason) == (10, "BudScaler: Scaling up from 8 to 10 replicas")


def test_from_zero_replicas_the_budget_still_holds_under_the_contract():
    floor = PredictionData(10, 1.0, "schedule hint: rush", "schedule", True, "rush", 10)
    # contract: 0 + 10 x 0.31 > 3 -> 0 + trunc(3 / 0.31) = 9; as built P = 0/0 = NaN: no limit
    assert decide(0, None, prediction=floor, model=CONTRACT).replicas == 9
    assert decide(0, None, prediction=floor, model=AS_BUILT).replicas == 10
