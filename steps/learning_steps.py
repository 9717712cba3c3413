"""Sentences about what BudAIScaler learns: data points, patterns, seasonal profiles, persistence, accuracy."""

from behave import given, then, when
from hamcrest import (all_of, assert_that, close_to, equal_to, greater_than, greater_than_or_equal_to, has_entry,
                      has_length,
                      is_not, less_than_or_equal_to, none)

from support import learning_data
from support.accuracy import parse_number, parse_percent
from support.traffic import ramp

LONG_HOLD_POLL = 10.0  # seconds between duties while traffic just runs
CLIMB_STEP = 10.0      # one controller tick


@given('the traffic follows the "{mode}" pattern')
@when('the traffic follows the "{mode}" pattern')
def step_pattern(context, mode):
    context.world.tell_inference_pods("/set_pattern", mode=mode)  # asserts that a running pod took it


@given("the traffic runs for {for_:Duration}")
@when("the traffic runs for {for_:Duration}")
def step_runs_for(context, for_):
    context.world.poller.with_interval(LONG_HOLD_POLL).hold(for_)


@when("the traffic runs until {hour:d}:{minute:d} cluster time")
def step_runs_until(context, hour, minute):
    context.world.poller.with_interval(LONG_HOLD_POLL).hold(context.world.seconds_until(hour, minute))


_STEADY = ("steady traffic of {running:d} running and {waiting:d} waiting requests at {cache:Percent} GPU cache "
           "runs for {for_:Duration}")


@when("the inference pods report this GPU cache usage through the day")
def step_daily_usage(context):
    for row in context.table:
        hour, minute = (int(part) for part in row["until"].split(":"))
        _set(context, gpu_cache=parse_percent(row["GPU cache"]))
        context.world.poller.with_interval(LONG_HOLD_POLL).hold(context.world.seconds_until(hour, minute))


@given(_STEADY)
@when(_STEADY)
def step_steady(context, running, waiting, cache, for_):
    _set(context, gpu_cache=cache, requests_running=running, requests_waiting=waiting)
    context.world.poller.with_interval(LONG_HOLD_POLL).hold(for_)


@when("the running requests climb from {start:d} to {end:d} over {over:Duration} at {cache:Percent} GPU cache")
@when("the running requests fall from {start:d} to {end:d} over {over:Duration} at {cache:Percent} GPU cache")
def step_climb(context, start, end, over, cache):
    started = context.world.now()
    for step, running in enumerate(ramp(start, end, over, CLIMB_STEP), 1):
        _set(context, gpu_cache=cache, requests_running=round(running))
        context.world.poller.hold_until(started + step * CLIMB_STEP)


def _set(context, **values):
    context.world.tell_inference_pods("/set", **values)  # asserts that a running pod took it


# -- data points ------------------------------------------------------------------------------
@then("the scaler reports at least {count:d} collected data points within {within:Duration}")
def step_data_points(context, count, within):
    context.world.poller.eventually(context.world.collected_data_points, greater_than_or_equal_to(count),
                                    within=within, what="the scaler's collected data points")


@then("the collected data points keep growing")
def step_growing(context):
    before = context.world.collected_data_points()
    context.world.poller.eventually(context.world.collected_data_points, greater_than(before), within=30,
                                    what=f"the collected data points to grow past {before}")


# -- patterns -----------------------------------------------------------------------------------
@then('the detected pattern becomes "{pattern}" within {within:Duration}')
def step_pattern_detected(context, pattern, within):
    context.world.poller.eventually(lambda: context.world.learning_status().get("detectedPattern"),
                                    equal_to(pattern), within=within, what="the scaler's detected pattern")


STEADY_CONFIDENCE = 0.5  # what steady state always reports; BudAIScaler learns from a pattern only above it


@then("the scaler is surer of the pattern than of steady traffic")
def step_confidence(context):
    learning = context.world.learning_status()
    confidence = parse_number(learning.get("patternConfidence", "missing"))
    assert_that(confidence, all_of(greater_than(STEADY_CONFIDENCE), less_than_or_equal_to(1.0)),
                f"the confidence the scaler reports for the {learning.get('detectedPattern')} pattern "
                f"(steady traffic: {STEADY_CONFIDENCE})")


# -- seasonal profile ---------------------------------------------------------------------------
_METRIC = "vllm:gpu_cache_usage_perc"


def _saved_configmap(context) -> dict:
    found = context.world.learning_configmaps()
    assert_that(found, has_length(1), f"ConfigMaps labelled {learning_data.selector(context.world.scaler_name())}")
    return found[0]


@then("the learned GPU cache usage for {day} {busy:d}:00 is above that for {day2} {quiet:d}:00")
def step_profile_shape(context, day, busy, day2, quiet):
    configmap = _saved_configmap(context)
    high = learning_data.seasonal_bucket(configmap, _METRIC, day, busy).mean
    low = learning_data.seasonal_bucket(configmap, _METRIC, day2, quiet).mean
    assert_that(high, greater_than(low), f"learned GPU cache usage of {day} {busy}:00 vs {day2} {quiet}:00")


@then("each of the {day} hours {first:d}, {second:d} and {third:d} has at least {count:d} observations")
def step_profile_observations(context, day, first, second, third, count):
    _at_least_observations(context, [(day, first), (day, second), (day, third)], count)


@then("each of {day1} {hour1:d}:00, {day2} {hour2:d}:00 and {day3} {hour3:d}:00 has at least {count:d} observations")
def step_hours_observations(context, day1, hour1, day2, hour2, day3, hour3, count):
    _at_least_observations(context, [(day1, hour1), (day2, hour2), (day3, hour3)], count)


def _at_least_observations(context, hours, count):
    configmap = _saved_configmap(context)
    seen = {f"{day} {hour:02d}:00": learning_data.seasonal_bucket(configmap, _METRIC, day, hour).observations
            for day, hour in hours}
    assert_that(min(seen.values()), greater_than_or_equal_to(count), f"observations per hour of the week: {seen}")


# -- the learning status --------------------------------------------------------------------------
@then("the scaler reports its oldest data point at least {age:Duration} old")
def step_oldest(context, age):
    oldest = context.world.learning_status().get("oldestDataPoint")
    assert_that(oldest, is_not(none()), "the oldest data point in the scaler's learning status")
    assert_that(context.world.age_of(oldest), greater_than_or_equal_to(age),
                f"the age in seconds of the oldest data point the scaler reports ({oldest})")


@then("the scaler reports how much storage its learning data uses")
def step_storage(context):
    used = context.world.learning_status().get("storageUsed", "missing")
    assert_that(learning_data.parse_size(used), greater_than(0), f"the storage the scaler reports ({used})")


@then("the scaler reports the seasonal factor of the current hour")
def step_factor(context):
    factor = context.world.learning_status().get("currentSeasonalFactor", "missing")
    assert_that(parse_number(factor), greater_than(0), f"the seasonal factor the scaler reports ({factor})")


@then('the scaler reports that its learning data is kept in the ConfigMap "{name}"')
def step_configmap_named(context, name):
    assert_that(context.world.learning_status().get("configMapName"), equal_to(name),
                "the ConfigMap the scaler names for its learning data")


@then("the scaler reports a calibration within {within:Duration}")
def step_calibration_reported(context, within):
    world = context.world
    world.poller.eventually(world.learning_status, has_entry("lastCalibration", is_not(none())),
                            within=within, what="the scaler to report when it last calibrated")


@then("the scaler's learning data records a calibration after {hour:d}:{minute:d} cluster time")
def step_calibrated_after(context, hour, minute):
    since = context.world.latest_time_of_day(hour, minute)
    calibrated = learning_data.last_calibration(_saved_configmap(context))
    assert_that(calibrated, is_not(none()), "the last calibration saved in the learning ConfigMap")
    assert_that(calibrated, greater_than_or_equal_to(since),
                f"the last calibration saved in the learning ConfigMap, against {hour:02d}:{minute:02d} cluster time")


# -- persistence ----------------------------------------------------------------------------------
@given("the scaler's learning data is saved in its ConfigMap within {within:Duration}")
@then("the scaler's learning data is saved in its ConfigMap within {within:Duration}")
def step_saved(context, within):
    world = context.world
    saved = world.poller.eventually(lambda: learning_data.saved_data_points(world.learning_configmap()),
                                    greater_than(0), within=within,
                                    what="the data points saved in the scaler's learning ConfigMap")
    world.state.saved_data_points = saved
    assert_that(_saved_configmap(context)["metadata"]["name"],
                equal_to(learning_data.configmap_name(world.scaler_name())), "the learning ConfigMap's name")


@then("the learning ConfigMap belongs to the scaler")
def step_owned(context):
    configmap = _saved_configmap(context)
    owners = configmap["metadata"].get("ownerReferences") or []
    assert_that([(o.get("kind"), o.get("uid")) for o in owners],
                equal_to([("BudAIScaler", context.world.scaler_uid())]),
                "the learning ConfigMap should be owned by its BudAIScaler (so it goes when the scaler goes)")


@when("the BudAIScaler controller restarts")
def step_restart(context):
    context.world.restart_controller()


@then("the collected data points continue from where they were saved within {within:Duration}")
def step_continue(context, within):
    saved = context.world.state.saved_data_points
    assert_that(saved, is_not(none()), "the data points an earlier step saw saved in the learning ConfigMap")
    context.world.poller.eventually(context.world.collected_data_points, greater_than_or_equal_to(saved),
                                    within=within, what=f"the collected data points to continue from {saved}")


# -- accuracy -------------------------------------------------------------------------------------
@then("the reported direction accuracy is at least {floor:Percent}")
def step_direction(context, floor):
    _reported_at_least(context, "directionAccuracy", floor)


@then("the reported overall accuracy is at least {floor:Percent}")
def step_overall(context, floor):
    _reported_at_least(context, "overallAccuracy", floor)


@then("the reported recent MAPE is at most {ceiling:Percent}")
def step_mape(context, ceiling):
    value = parse_percent(context.world.learning_status().get("recentMAPE", "missing"))
    assert_that(value, less_than_or_equal_to(ceiling), "the scaler's reported recent MAPE (%)")


@then("the reported overall accuracy weighs the recent MAPE and the direction accuracy equally")
def step_overall_is_score(context):
    learning = context.world.learning_status()
    mape = parse_percent(learning.get("recentMAPE", "missing"))
    direction = parse_percent(learning.get("directionAccuracy", "missing"))
    overall = parse_percent(learning.get("overallAccuracy", "missing"))
    score = (max(0.0, 100 - mape) + direction) / 2
    assert_that(overall, close_to(score, 0.1),
                f"the reported overall accuracy, against the mean of 100% - MAPE ({mape}%) and the direction "
                f"accuracy ({direction}%)")


def _reported_at_least(context, field, floor):
    value = parse_percent(context.world.learning_status().get(field, "missing"))
    assert_that(value, greater_than_or_equal_to(floor), f"the scaler's reported {field} (%)")
