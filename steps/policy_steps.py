"""Sentences about a scaler's policies, selectPolicy and rate annotations, and the changes they allow."""

import math

from behave import given, then, when
from hamcrest import assert_that, empty, greater_than, has_entries, is_not, less_than_or_equal_to

from support.clock import parse_rfc3339

SELECT_POLICIES = ("Min", "Max", "Disabled")


@given('the scaler\'s scale-down policies are combined by "{select}"')
def step_select(context, select):
    if select not in SELECT_POLICIES:
        raise ValueError(f"unknown selectPolicy {select!r}: say one of {', '.join(SELECT_POLICIES)}")
    context.world.patch_scaler({"behavior": {"scaleDown": {"selectPolicy": select}}})


@given("the scaler's scale-down is disabled, with no policies")
def step_disabled_bare(context):
    context.world.patch_scaler({"behavior": {"scaleDown": {"selectPolicy": "Disabled", "policies": None}}})


@given("the scaler's scale-{direction} has no policies")
def step_no_policies(context, direction):
    directions = {"up": "scaleUp", "down": "scaleDown"}
    if direction not in directions:
        raise ValueError(f"unknown direction scale-{direction}: say scale-up or scale-down")
    context.world.patch_scaler({"behavior": {directions[direction]: {"policies": None}}})


@given("the scaler's scale-up may multiply the replicas by at most {rate:g} at a time, with no policies")
def step_up_rate(context, rate):
    context.world.patch_scaler({"behavior": {"scaleUp": {"maxScaleRate": f"{rate:g}", "policies": None}}})


@given('the scaler\'s annotation "{name}" is "{value}"')
def step_annotation(context, name, value):
    context.world.annotate_scaler({f"scaler.bud.studio/{name}": value})


def _first_down(world) -> dict:
    history = list(world.status().history)
    down = next((h for h in history if h.get("newScale", 0) < h.get("previousScale", 0)), None)
    return {} if down is None else {"from": down.get("previousScale"), "to": down.get("newScale")}


@then("the first scale-down goes from {start:d} to {end:d} replicas within {within:Duration}")
def step_first_down(context, start, end, within):
    context.world.poller.eventually(lambda: _first_down(context.world), has_entries({"from": start, "to": end}),
                                    within=within, what=f"the first scale-down in the scaling history ({start} -> {end})")


def largest_drop(history: list[dict], period: float) -> int:
    """The most replicas the history removed within any `period` seconds (replicas at the period's start minus
    those after a scale-down)."""
    entries = [(parse_rfc3339(h["timestamp"]), h["previousScale"], h["newScale"]) for h in history]
    drop = 0
    for when, _, after in entries:
        start = next((before for t, before, _ in entries if t > when - period), after)
        drop = max(drop, start - after)
    return drop


@then("the replicas fall by at most {count:d} in any {period:Duration} for {for_:Duration}")
def step_drop_rate(context, count, period, for_):
    world = context.world
    world.poller.consistently(lambda: largest_drop([dict(h) for h in world.status().history], period),
                              less_than_or_equal_to(count), for_=for_,
                              what=f"the most replicas removed within any {period:g} seconds")


def scale_ups_above_rate(history: list[dict], rate: float) -> list[str]:
    """The scale-ups of the history that went past `previousScale x rate`, rounded up."""
    return [f"{h['previousScale']} -> {h['newScale']} at {h.get('timestamp')}" for h in history
            if h["newScale"] > h["previousScale"] and h["newScale"] > math.ceil(round(h["previousScale"] * rate, 9))]


@then("no scale-up in the scaling history multiplied the replicas by more than {rate:g}, rounded up")
def step_up_rate_kept(context, rate):
    history = [dict(h) for h in context.world.status().history]
    assert_that(history, is_not(empty()), "the scaling history (a scale-up should have been recorded)")
    assert_that(scale_ups_above_rate(history, rate), empty(),
                f"scale-ups past {rate:g} times the replicas before them (history: {history})")


@when("GPU cache usage rises to {usage:Percent} on every pod of the {workload}")
@when("GPU cache usage falls to {usage:Percent} on every pod of the {workload}")
def step_gpu_cache_falls_on(context, usage, workload):
    took = context.world.tell_pods_of(workload, "/set", gpu_cache=usage)
    assert_that(took, greater_than(0), f"no running pod of the {workload} took GPU cache usage {usage}%")


# -- the starting-pods gate ----------------------------------------------------------------------
@given("the scaler holds a scale-up while {percent:d}% of its pods or more are starting")
def step_gate_percent(context, percent):
    context.world.patch_scaler({"behavior": {"scaleUp": {"startingPods": {"maxStartingPodPercent": percent}}}})


@given("the scaler uses the KPA strategy")
def step_kpa(context):
    context.world.patch_scaler({"scalingStrategy": "KPA"})


@given("the scaler lets a scale-up in panic pass the starting pods")
def step_bypass(context):
    context.world.patch_scaler({"behavior": {"scaleUp": {"startingPods": {"bypassGateOnPanic": True}}}})


@given("the scaler holds even a scale-up in panic while pods start")
def step_no_bypass(context):
    context.world.patch_scaler({"behavior": {"scaleUp": {"startingPods": {"bypassGateOnPanic": False}}}})

