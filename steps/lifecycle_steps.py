"""Sentences about a scaler's record of itself (history, last scale time) and its end."""

from behave import given, then, when
from hamcrest import assert_that, contains_exactly, equal_to, is_

from support.clock import parse_rfc3339


@given("the scaler's stabilization windows are {seconds:d} seconds")
def step_windows(context, seconds):
    context.world.patch_scaler({"behavior": {"scaleUp": {"stabilizationWindowSeconds": seconds},
                                             "scaleDown": {"stabilizationWindowSeconds": seconds}}})


@then("the scaling history holds the last {count:d} scales, oldest first, each starting where the one before ended")
def step_history_kept(context, count):
    history = [dict(h) for h in context.world.status().history]
    assert_that(len(history), equal_to(count), f"the number of entries in the scaling history: {history}")
    times = [parse_rfc3339(h["timestamp"]) for h in history]
    assert_that(times, equal_to(sorted(times)), "the scaling history's timestamps, oldest first")
    links = [(earlier["newScale"], later["previousScale"]) for earlier, later in zip(history, history[1:])]
    assert_that([a == b for a, b in links], equal_to([True] * len(links)),
                f"each scale should start where the one before it ended (newScale -> previousScale): {links}")


@then("the newest scale in the scaling history is the one to {count:d} replica")
@then("the newest scale in the scaling history is the one to {count:d} replicas")
def step_newest(context, count):
    history = list(context.world.status().history)
    assert_that(history[-1:] and history[-1].get("newScale"), equal_to(count),
                "the replicas of the newest entry of the scaling history")


@then("the scaler's last scale time is that of its newest scale")
def step_last_scale_time(context):
    status = context.world.status()
    newest = status.history[-1]["timestamp"] if status.history else None
    assert_that(status.last_scale_time, equal_to(newest), "status.lastScaleTime against the newest history entry")


@when("the scaler is deleted")
def step_delete(context):
    context.world.delete_scaler()


@then("the scaler is gone within {within:Duration}")
def step_gone(context, within):
    context.world.poller.eventually(context.world.scaler_exists, is_(False), within=within,
                                    what="the scaler to be gone (its finalizer removed)")


@then("its learning data is gone within {within:Duration}")
def step_learning_gone(context, within):
    context.world.poller.eventually(lambda: [c["metadata"]["name"] for c in context.world.learning_configmaps()],
                                    contains_exactly(), within=within,
                                    what="the scaler's learning ConfigMap to be deleted with it")


@then("the inference deployment runs no pods within {within:Duration}")
def step_no_pods(context, within):
    world = context.world
    world.poller.eventually(lambda: (world.deployment_replicas(), world.running_pods()), equal_to((0, 0)),
                            within=within, what="the inference deployment to run no pods (replicas, running pods)")


@given("the scaler learns from what it sees")
def step_learns(context):
    context.world.patch_scaler({"predictionConfig": {"enableLearning": True}})


@then("the inference deployment keeps its replicas for {for_:Duration}")
def step_keeps_replicas(context, for_):
    world = context.world
    kept = world.deployment_replicas()
    world.poller.consistently(world.deployment_replicas, equal_to(kept), for_=for_,
                              what="the inference deployment's replicas once its scaler is gone")
