"""Edges of the cost model (support/reference/cost.py): when a budget that cannot be priced is said.

Written against the survivors of `make mutation` in support/reference/cost.py (unpriced_note had no test).
"""
from support.reference.cost import unpriced_note
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.spec import CostConfig


def test_a_budget_on_a_provider_without_the_price_is_said():
    # gcp has no g5.xlarge price: the budget of 3/h cannot be applied, and the reason says so
    gcp = CostConfig(enabled=True, cloud_provider="gcp", budget_per_hour="3")
    assert unpriced_note(gcp, CONTRACT) == "no price for g5.xlarge replicas on gcp: budget not applied"
    azure = CostConfig(enabled=True, cloud_provider="azure", budget_per_day="50")
    assert unpriced_note(azure, CONTRACT) == "no price for g5.xlarge replicas on azure: budget not applied"


def test_nothing_is_said_when_there_is_nothing_to_say():
    assert unpriced_note(None, CONTRACT) is None
    assert unpriced_note(CostConfig(enabled=False, cloud_provider="gcp", budget_per_hour="3"), CONTRACT) is None
    assert unpriced_note(CostConfig(enabled=True, cloud_provider="aws", budget_per_hour="3"), CONTRACT) is None
    assert unpriced_note(CostConfig(enabled=True, cloud_provider="gcp"), CONTRACT) is None     # no budget
    # as built the budget is dropped without a word
    assert unpriced_note(CostConfig(enabled=True, cloud_provider="gcp", budget_per_hour="3"), AS_BUILT) is None
