"""Sentences about one of several scalers in a scenario, named: its desired replicas over time."""

from behave import then
from hamcrest import equal_to


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
