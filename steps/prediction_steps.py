"""Sentences about looking ahead: schedule hints, predictions and the history they need."""

from behave import given, then, when
from hamcrest import (assert_that, contains_string, empty, equal_to, greater_than, greater_than_or_equal_to, has_entries,
                      has_item, is_not, less_than, none)

from support.matchers import number_text
from support.traffic import ramp

CLIMB_STEP = 10.0  # one controller tick


@given('the scaler configured in "{config}" is applied without its schedule hints')
def step_apply_without_hints(context, config):
    context.world.apply(config, without=("spec", "scheduleHints"))
    assert_that(context.world.scaler, is_not(none()), f'"{config}" holds no BudAIScaler')


@then("the desired replicas stay at {count:d} until {hour:d}:{minute:d} cluster time")
def step_stay_until(context, count, hour, minute):
    world = context.world
    world.poller.consistently(world.desired_replicas, equal_to(count), for_=world.seconds_until(hour, minute),
                              what="the desired replicas")


@then('the scaling history says the schedule hint "{hint}" set a floor of {floor:d}')
def step_hint_in_history(context, hint, floor):
    history = list(context.world.status().history)
    assert_that(history, has_item(has_entries(reason=contains_string(f"[schedule hint '{hint}' floor: {floor}]"))),
                "the reasons in the scaler's scaling history")


@given("GPU cache usage stays at {usage:Percent} for {for_:Duration}")
def step_stays(context, usage, for_):
    _set_and_log(context, usage)
    context.world.poller.hold(for_)


@when("GPU cache usage climbs from {start:Percent} to {end:Percent} over {over:Duration} on every inference pod")
def step_climb(context, start, end, over):
    world = context.world
    started = world.now()
    for step, usage in enumerate(ramp(start, end, over, CLIMB_STEP), 1):
        _set_and_log(context, usage)
        world.poller.hold_until(started + step * CLIMB_STEP)
        world.state.replicas_log.append((usage, world.desired_replicas()))


def _set_and_log(context, usage):
    world = context.world
    world.tell_inference_pods("/set", gpu_cache=round(usage, 3))  # asserts that a running pod took it
    world.state.load_log.append((world.now(), usage))


@then("the scaler predicted at least {count:d} replicas before GPU cache usage reached {level:Percent}")
def step_predicted_before(context, count, level):
    world = context.world
    reached = next((t for t, usage in world.state.load_log if usage >= level), None)
    assert_that(reached, is_not(none()), f"GPU cache usage never reached {level}% in this scenario")
    recorder = world.prediction_recorder()
    recorder.check()
    print(f"predictions recorded: {recorder.report()}")
    predicted = next((o.time for o in recorder.predictions() if o.predicted >= count), None)
    assert_that(predicted, is_not(none()), f"the scaler never predicted {count} or more replicas")
    assert_that(predicted, less_than(reached),
                f"when the scaler first predicted {count} replicas, against when GPU cache usage reached {level}%")


@then("the desired replicas rose above {count:d} before GPU cache usage reached {level:Percent}")
def step_rose_before(context, count, level):
    seen = context.world.state.replicas_log
    assert_that(seen, is_not(empty()), "the desired replicas seen while GPU cache usage climbed")
    below = [desired for usage, desired in seen if usage < level]
    assert_that(max(below, default=0), greater_than(count),
                f"the most desired replicas while GPU cache usage was below {level}% (seen, as usage -> replicas: "
                f"{_brief(seen)})")


@then("the desired replicas stayed at {count:d} while GPU cache usage climbed")
def step_stayed_while_climbing(context, count):
    seen = context.world.state.replicas_log
    assert_that(seen, is_not(empty()), "the desired replicas seen while GPU cache usage climbed")
    assert_that({desired for _, desired in seen}, equal_to({count}),
                f"the desired replicas while GPU cache usage climbed ({_brief(seen)})")


def _brief(seen) -> str:
    return ", ".join(f"{usage:.0f}% -> {desired}" for usage, desired in seen[::3])


@then("the scaler reports a prediction of at least {count:d} replicas with a confidence of at least {floor:f}")
def step_reported_prediction(context, count, floor):
    prediction = context.world.status().prediction
    assert_that(prediction, has_entries(predictedReplicas=greater_than_or_equal_to(count),
                                        predictionConfidence=number_text(greater_than_or_equal_to(floor))),
                "the scaler's prediction status")

