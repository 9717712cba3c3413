"""Sentences about the inference workload: deploying it, setting the load its pods report."""

from behave import given, then, when
from hamcrest import equal_to, is_

from support.matchers import all_equal
from support.workloads import SIDE_SERVICES

WORKLOAD_READY_TIMEOUT = 120


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


@then("the inference deployment follows the desired replicas within {within:Duration}")
def step_deployment_follows(context, within):
    world = context.world
    world.poller.eventually(lambda: (world.desired_replicas(), world.deployment_replicas(), world.ready_pods()),
                            all_equal("desired replicas", "deployment replicas", "ready pods"), within=within,
                            what="the inference deployment to run the desired replicas, all ready")


@given("GPU cache usage is {usage:Percent} on every pod of the {workload}")
def step_gpu_cache_of(context, usage, workload):
    context.world.tell_pods_of(workload, "/set", gpu_cache=usage)  # asserts that a running pod took it
