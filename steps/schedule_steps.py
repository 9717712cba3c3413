"""Sentences about one of several scalers in a scenario, named: its desired replicas over time."""

from behave import then
from hamcrest import assert_that, equal_to, has_entries


@then('the desired replicas of "{scaler}" reach {count:d} within {within:Duration}')
def step_named_reach(context, scaler, count, within):
    world = context.world
    world.poller.eventually(lambda: world.desired_replicas(scaler), equal_to(count), within=within,
                            what=f"the desired replicas of {scaler} to reach {count}")


@then('the desired replicas of "{scaler}" stay at {count:d} until {hour:d}:{minute:d} cluster time')
def step_named_stay_until(context, scaler, count, hour, minute):
    world = context.world
    world.poller.consistently(lambda: world.desired_replicas(scaler), equal_to(count),
                              for_=world.seconds_until(hour, minute), what=f"the desired replicas of {scaler}")


@then('the scaler "{scaler}" predicts {count:d} replica')
@then('the scaler "{scaler}" predicts {count:d} replicas')
def step_named_predicts(context, scaler, count):
    prediction = context.world.status(scaler).prediction
    assert_that(prediction, has_entries(predictedReplicas=count), f"the prediction status of {scaler}")


@then('the scaler reports the schedule hint "{hint}" in force until {hour:d}:{minute:d} cluster time')
def step_hint_in_status(context, hint, hour, minute):
    world = context.world
    until = world.cluster_time_text(world.now() + world.seconds_until(hour, minute))
    world.poller.eventually(lambda: world.status().prediction,
                            has_entries(activeScheduleHint=hint, nextPredictedChange=until), within=60,
                            what="the schedule hint and next change in the scaler's prediction status")
