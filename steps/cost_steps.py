"""Sentences about what the scaler spends: its cost status and what it says of its budget."""

from behave import then
from hamcrest import assert_that, contains_string, has_entries, has_item

from support.phrases import parse_percent


@then('the scaler reports an hourly cost of ${cost} for {count:d} {kind} replicas, {share} of its budget, '
      'within {within:Duration}')
def step_cost_status(context, cost, count, kind, share, within):
    world = context.world
    spot = kind == "spot"
    world.poller.eventually(lambda: world.status().cost,
                            has_entries(currentHourlyCost=cost, projectedDailyCost=f"{24 * float(cost):.2f}",
                                        budgetUtilization=round(parse_percent(share)),
                                        spotInstancesInUse=count if spot else 0,
                                        onDemandInstancesInUse=0 if spot else count),
                            within=within, what="the cost status the scaler reports")


@then("the scaling history says the budget is not applied as there is no price for its replicas on {provider}")
def step_unpriced(context, provider):
    history = list(context.world.status().history)
    assert_that(history, has_item(has_entries(reason=contains_string(f"replicas on {provider}: budget not applied"))),
                "the reasons in the scaler's scaling history")
