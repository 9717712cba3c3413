"""Sentences about a BudAIScaler: applying it, its readiness, and its desired replicas over time."""

from behave import given, then, when
from hamcrest import (assert_that, contains_string, equal_to, greater_than, greater_than_or_equal_to, has_entries,
                      has_item, is_not, less_than, less_than_or_equal_to, none)

from support.matchers import all_equal, each_between

READY_TIMEOUT = 60


@given('the scaler configured in "{config}" is applied')
@when('the scaler configured in "{config}" is applied')
def step_apply_scaler(context, config):
    context.world.apply(config)
    assert_that(context.world.scaler, is_not(none()), f'"{config}" holds no BudAIScaler')


@given('the scaler configured in "{config}" is applied with these settings')
@when('the scaler configured in "{config}" is applied with these settings')
def step_apply_scaler_with(context, config):
    context.world.apply(config, settings=_settings(context))
    assert_that(context.world.scaler, is_not(none()), f'"{config}" holds no BudAIScaler')


@given("the scaler's settings change to")
@when("the scaler's settings change to")
def step_change_settings(context):
    context.world.change_settings(_settings(context))


def _settings(context) -> list[tuple[str, str]]:
    return [(row["setting"], row["value"]) for row in context.table]


@given("the scaler allows between {low:d} and {high:d} replicas")
@when("the scaler allows between {low:d} and {high:d} replicas")
def step_bounds(context, low, high):
    context.world.patch_scaler({"minReplicas": low, "maxReplicas": high})


@given("the scaler is Ready")
@then("the scaler becomes Ready within {within:Duration}")
def step_ready(context, within=READY_TIMEOUT):
    context.world.poller.eventually(lambda: _condition(context.world), has_entries(status="True"), within=within,
                                    what=f"the scaler {context.world.scaler} to become Ready")


@then('the scaler reports the reason "{reason}"')
def step_reason(context, reason):
    condition = _condition(context.world)
    assert_that(condition, has_entries(reason=reason), "the reason of the scaler's Ready condition")


@then('the scaler becomes not Ready with reason "{reason}" within {within:Duration}')
def step_not_ready(context, reason, within):
    context.world.poller.eventually(lambda: _condition(context.world), has_entries(status="False", reason=reason),
                                    within=within, what=f"the scaler to report not Ready ({reason})")


@then('the scaler\'s Ready message says "{message}"')
def step_message(context, message):
    assert_that(_condition(context.world), has_entries(message=message), "the message of the scaler's Ready condition")


@then('the scaler\'s Ready message says "{message}" within {within:Duration}')
def step_message_within(context, message, within):
    context.world.poller.eventually(lambda: _condition(context.world), has_entries(message=message), within=within,
                                    what="the message of the scaler's Ready condition")


def _condition(world) -> dict:
    condition = world.ready_condition()
    return {} if condition is None else {"status": condition.status, "reason": condition.reason,
                                         "message": condition.message}


# -- desired replicas over time ---------------------------------------------------------------
def _eventually_desired(context, matcher, within, what):
    return context.world.poller.eventually(context.world.desired_replicas, matcher, within=within,
                                           what=f"the desired replicas {what}")


def _consistently_desired(context, matcher, for_):
    return context.world.poller.consistently(context.world.desired_replicas, matcher, for_=for_,
                                             what="the desired replicas")


@then("the desired replicas rise above {count:d} within {within:Duration}")
@given("the desired replicas have risen above {count:d} within {within:Duration}")
@when("the desired replicas have risen above {count:d} within {within:Duration}")
def step_rise_above(context, count, within):
    _eventually_desired(context, greater_than(count), within, f"to rise above {count}")


@given("the desired replicas have reached at least {count:d} within {within:Duration}")
@then("the desired replicas reach at least {count:d} within {within:Duration}")
def step_reached(context, count, within):
    _eventually_desired(context, greater_than_or_equal_to(count), within, f"to reach at least {count}")


@then("the desired replicas fall to at most {count:d} within {within:Duration}")
def step_fall_to_at_most(context, count, within):
    _eventually_desired(context, less_than_or_equal_to(count), within, f"to fall to at most {count}")


@then("the desired replicas reach {count:d} within {within:Duration}")
@then("the desired replicas fall to {count:d} within {within:Duration}")
@given("the desired replicas have reached {count:d} within {within:Duration}")
@when("the desired replicas have reached {count:d} within {within:Duration}")
def step_reach_exactly(context, count, within):
    _eventually_desired(context, equal_to(count), within, f"to reach {count}")


@given("the desired replicas stay at {count:d} for {for_:Duration}")
@then("the desired replicas stay at {count:d} for {for_:Duration}")
def step_stay_at(context, count, for_):
    _consistently_desired(context, equal_to(count), for_)


@then("the desired replicas hold for {for_:Duration}")
def step_hold(context, for_):
    held = context.world.state.held_replicas = context.world.desired_replicas()
    _consistently_desired(context, equal_to(held), for_)


@then("the desired replicas then fall within {within:Duration}")
def step_then_fall(context, within):
    held = context.world.state.held_replicas
    assert_that(held, is_not(none()), 'the replicas an earlier "the desired replicas hold" step saw')
    _eventually_desired(context, less_than(held), within, f"to fall below {held}")


@then("the desired replicas then rise within {within:Duration}")
def step_then_rise(context, within):
    held = context.world.state.held_replicas
    assert_that(held, is_not(none()), 'the replicas an earlier "the desired replicas hold" step saw')
    _eventually_desired(context, greater_than(held), within, f"to rise above {held}")


@then("the desired and deployed replicas stay between {low:d} and {high:d} for {for_:Duration}")
def step_stay_between(context, low, high, for_):
    world = context.world
    world.poller.consistently(lambda: (world.desired_replicas(), world.deployment_replicas()),
                              each_between(low, high), for_=for_,
                              what=f"the desired and deployed replicas to stay between {low} and {high}")


@then("the desired and deployed replicas are between {low:d} and {high:d} within {within:Duration}")
def step_between_within(context, low, high, within):
    world = context.world
    world.poller.eventually(lambda: (world.desired_replicas(), world.deployment_replicas()),
                            each_between(low, high), within=within,
                            what=f"the desired and deployed replicas to be between {low} and {high}")


@then("the scaler reports {actual:d} actual replica while it asks for {desired:d} within {within:Duration}")
@then("the scaler reports {actual:d} actual replicas while it asks for {desired:d} within {within:Duration}")
def step_actual_while_desired(context, actual, desired, within):
    world = context.world
    world.poller.eventually(lambda: _desired_and_actual(world), equal_to({"desired": desired, "actual": actual}),
                            within=within,
                            what=f"the scaler to ask for {desired} replicas while it reports {actual} running")


@then("the scaler reports {actual:d} actual replica while it asks for {desired:d} for {for_:Duration}")
@then("the scaler reports {actual:d} actual replicas while it asks for {desired:d} for {for_:Duration}")
def step_actual_while_desired_for(context, actual, desired, for_):
    world = context.world
    world.poller.consistently(lambda: _desired_and_actual(world), equal_to({"desired": desired, "actual": actual}),
                              for_=for_,
                              what=f"the scaler to keep asking for {desired} replicas while it reports {actual} "
                                   "ready to serve")


def _desired_and_actual(world) -> dict:
    return {"desired": world.desired_replicas(), "actual": world.actual_replicas()}


@then("the scaler reports {actual:d} actual replicas within {within:Duration}")
def step_actual_within(context, actual, within):
    world = context.world
    world.poller.eventually(world.actual_replicas, equal_to(actual), within=within,
                            what=f"the scaler to report {actual} actual replicas")


@then("the scaler reports as many actual replicas as desired within {within:Duration}")
def step_actual_follows(context, within):
    world = context.world
    world.poller.eventually(lambda: (world.desired_replicas(), world.actual_replicas()),
                            all_equal("desired replicas", "actual replicas"), within=within,
                            what="the scaler's actual replicas to catch up with its desired replicas")


@then("the scaling history records a scale-up from {count:d} replica")
@then("the scaling history records a scale-up from {count:d} replicas")
def step_history(context, count):
    history = list(context.world.status().history)
    assert_that(history, has_item(has_entries(previousScale=count, newScale=greater_than(count))),
                f"the scaler's scaling history should record a scale-up from {count}")


def _scales(world) -> list[dict]:
    """The scaling history as {direction, from, to, reason} per entry."""
    def direction(entry):
        new, previous = entry.get("newScale", 0), entry.get("previousScale", 0)
        return "up" if new > previous else "down" if new < previous else "none"
    return [{"direction": direction(h), "from": h.get("previousScale"), "to": h.get("newScale"),
             "reason": h.get("reason", "")} for h in world.status().history]


@then('the scaling history records a scale-{direction} whose reason says "{text}" within {within:Duration}')
def step_history_reason(context, direction, text, within):
    context.world.poller.eventually(
        lambda: _scales(context.world), has_item(has_entries(direction=direction, reason=contains_string(text))),
        within=within, what=f'the scaling history to record a scale-{direction} whose reason says "{text}"')


@then('no scale in the scaling history says "{text}"')
def step_history_never_says(context, text):
    assert_that(_scales(context.world), is_not(has_item(has_entries(reason=contains_string(text)))),
                f'the scaling history: no reason should say "{text}"')
