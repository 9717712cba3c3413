"""Sentences about the inference workload: deploying it, setting the load its pods report."""

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than, is_

from support.matchers import all_equal
from support.workloads import SIDE_SERVICES

WORKLOAD_READY_TIMEOUT = 120
STARTING_POD_TIMEOUT = 60


@given("the {workload} is running")
def step_workload_running(context, workload):
    world = context.world
    world.deploy_workload(workload)
    available = (world.workload_available if world.workload is not None and workload not in SIDE_SERVICES
                 else lambda: world.side_service_available(workload))
    world.poller.eventually(available, is_(True), within=WORKLOAD_READY_TIMEOUT,
                            what=f"the {workload} to be available")


@given("the inference deployment runs {replicas:d} replicas")
def step_workload_replicas(context, replicas):
    """Scaled and running: a scaler applied next must find the replicas ready, or it decides from
    the pods that were (on a loaded cluster it scaled 4 -> 3 that way, before any load change)."""
    world = context.world
    world.scale_workload(replicas)
    world.poller.eventually(world.ready_pods, equal_to(replicas), within=WORKLOAD_READY_TIMEOUT,
                            what=f"the inference deployment's ready pods after scaling it to {replicas}")


@given("GPU cache usage is {usage:Percent} on every inference pod")
@when("GPU cache usage is {usage:Percent} on every inference pod")
@when("GPU cache usage rises to {usage:Percent} on every inference pod")
@when("GPU cache usage falls to {usage:Percent} on every inference pod")
def step_gpu_cache(context, usage):
    context.world.tell_inference_pods("/set", gpu_cache=usage)  # asserts that a running pod took it


@given("CPU usage is {usage:Percent} of the requested CPU on every inference pod")
@when("CPU usage is {usage:Percent} of the requested CPU on every inference pod")
@when("CPU usage rises to {usage:Percent} of the requested CPU on every inference pod")
@when("CPU usage falls to {usage:Percent} of the requested CPU on every inference pod")
def step_cpu_usage(context, usage):
    world = context.world
    millicores = round(world.cpu_requested_per_pod() * usage / 100)
    world.tell_inference_pods("/set", cpu=f"{millicores}m")  # asserts that a running pod took it


@then("the inference deployment follows the desired replicas within {within:Duration}")
@then("the inference StatefulSet follows the desired replicas within {within:Duration}")
def step_deployment_follows(context, within):
    world = context.world
    world.poller.eventually(lambda: (world.desired_replicas(), world.deployment_replicas(), world.ready_pods()),
                            all_equal("desired replicas", "deployment replicas", "ready pods"), within=within,
                            what="the inference deployment to run the desired replicas, all ready")


@given("GPU cache usage is {usage:Percent} on every pod of the {workload}")
def step_gpu_cache_of(context, usage, workload):
    context.world.tell_pods_of(workload, "/set", gpu_cache=usage)  # asserts that a running pod took it


# -- pods that start slowly (a model loading): not ready, so neither read nor counted as serving ----------
@given("new inference pods take {duration:Duration} to become ready")
def step_slow_start(context, duration):
    context.world.make_new_pods_start_slowly(int(duration))


@when("every inference pod restarts")
def step_restart_pods(context):
    assert_that(context.world.restart_inference_pods(), greater_than(0), "inference pods deleted to restart them")


@when("every inference pod restarts and cannot start")
def step_restart_broken(context):
    world = context.world
    world.take_inference_program_away()
    assert_that(world.restart_inference_pods(), greater_than(0), "inference pods deleted to restart them")


@when("the inference pods can start again")
def step_program_back(context):
    context.world.give_inference_program_back()


@when("the inference pods still starting report GPU cache usage of {usage:Percent}")
def step_starting_pods_report(context, usage):
    world = context.world  # a new pod's program listens a moment after the pod runs: wait for one to take it
    world.poller.eventually(lambda: world.tell_starting_inference_pods("/set", gpu_cache=usage), greater_than(0),
                            within=STARTING_POD_TIMEOUT,
                            what=f"a running inference pod not ready yet to take GPU cache usage {usage:g}%")


@when("the inference deployment rolls out a new version")
def step_roll_out(context):
    context.world.roll_out_workload()


@then("some inference pods are still starting")
def step_some_starting(context):
    assert_that(context.world.starting_pods(), greater_than(0), "inference pods not ready yet")


@given("every inference pod is ready within {within:Duration}")
@then("every inference pod is ready within {within:Duration}")
def step_all_ready(context, within):
    world = context.world
    world.poller.eventually(world.starting_pods, equal_to(0), within=within,
                            what="every inference pod to be ready (pods not ready yet)")
