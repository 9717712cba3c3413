"""Sentences about faults: metrics that fail or make no sense, a target that cannot be scaled, a rival scaler."""

from behave import given, then, when
from hamcrest import assert_that, contains_string, greater_than, has_entries

FAULTS = {"fail": "error", "answer garbage": "garbage"}


@given("the metrics of every inference pod {fault}")
@when("the metrics of every inference pod {fault}")
def step_metrics_fault(context, fault):
    if fault not in FAULTS:
        raise ValueError(f"unknown metrics fault {fault!r}: say one of {', '.join(FAULTS)}")
    _tell(context, FAULTS[fault])


@when("the inference pods' metrics recover")
def step_metrics_recover(context):
    _tell(context, "none")


def _tell(context, mode):
    took = context.world.tell_inference_pods("/fault", metrics=mode)
    assert_that(took, greater_than(0), f"no running inference pod took the metrics fault {mode!r}")


# -- the ScalingActive condition -------------------------------------------------------------
def _scaling_active(world) -> dict:
    condition = world.status().condition("ScalingActive")
    return {} if condition is None else {"status": condition.status, "reason": condition.reason,
                                         "message": condition.message}


@then('the scaler reports that it cannot scale for want of metrics, with reason "{reason}", within {within:Duration}')
def step_not_active(context, reason, within):
    context.world.poller.eventually(lambda: _scaling_active(context.world), has_entries(status="False", reason=reason),
                                    within=within, what=f"the scaler's ScalingActive condition to be False ({reason})")


@then('the scaler explains that it "{text}"')
def step_active_message(context, text):
    assert_that(_scaling_active(context.world), has_entries(message=contains_string(text)),
                "the message of the scaler's ScalingActive condition")


@then("the scaler reports that it is scaling on its metrics again within {within:Duration}")
def step_active_again(context, within):
    context.world.poller.eventually(lambda: _scaling_active(context.world), has_entries(status="True"),
                                    within=within, what="the scaler's ScalingActive condition to be True again")


@then("the scaler stays Ready for {for_:Duration}")
def step_stays_ready(context, for_):
    world = context.world
    world.poller.consistently(lambda: _ready_of(world), has_entries(status="True"), for_=for_,
                              what=f"the scaler {world.scaler_name()} to stay Ready")


# -- the target ------------------------------------------------------------------------------
@when('the scaler targets the {kind} "{name}"')
def step_retarget(context, kind, name):
    context.world.patch_scaler({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name}})


@when("the scaler targets the inference deployment again")
def step_target_back(context):
    context.world.patch_scaler({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                                   "name": context.world.workload.deployment}})


# -- a rival scaler ----------------------------------------------------------------------------
@when('a second scaler "{name}" configured in "{config}" is applied to the same deployment')
def step_rival(context, name, config):
    context.world.apply_scaler_as(config, name)


def _ready_of(world, scaler=None) -> dict:
    condition = world.status(scaler).condition("Ready")
    return {} if condition is None else {"status": condition.status, "reason": condition.reason,
                                         "message": condition.message}


@then('the scaler "{scaler}" becomes not Ready with reason "{reason}" within {within:Duration}')
def step_named_not_ready(context, scaler, reason, within):
    context.world.poller.eventually(lambda: _ready_of(context.world, scaler),
                                    has_entries(status="False", reason=reason), within=within,
                                    what=f"the scaler {scaler} to report not Ready ({reason})")


@then('the Ready message of the scaler "{scaler}" says "{message}"')
def step_named_message(context, scaler, message):
    assert_that(_ready_of(context.world, scaler), has_entries(message=message),
                f"the message of the Ready condition of the scaler {scaler}")
