"""Sentences about the GPUs the DCGM exporter reports, and what the scaler makes of them."""

from behave import given, then, when
from hamcrest import assert_that, contains_string, has_entries, has_item

EXPORTER = "DCGM exporter"


def _tell(context, **params):
    context.world.tell_side_service(EXPORTER, "/set", **params)


def _framebuffer_used(context, memory: float) -> float:
    """MiB in use for `memory` percent of each GPU's framebuffer (the exporter's own total)."""
    total = float(context.world.side_service_state(EXPORTER)["fb_total"])
    return round(total * memory / 100, 3)


@given("the GPUs report {compute:Percent} compute utilisation and {memory:Percent} memory in use")
@when("the GPUs report {compute:Percent} compute utilisation and {memory:Percent} memory in use")
def step_gpus(context, compute, memory):
    _tell(context, gpu_util=compute, fb_used=_framebuffer_used(context, memory))


@when("the GPUs report {memory:Percent} memory in use")
def step_memory(context, memory):
    _tell(context, fb_used=_framebuffer_used(context, memory))


@when("the GPUs report {compute:Percent} compute utilisation")
def step_compute(context, compute):
    _tell(context, gpu_util=compute)


@given("the node has {count:d} GPUs")
def step_gpu_count(context, count):
    _tell(context, gpus=count)


@when("GPU {index:d} reports {memory:Percent} memory in use")
def step_one_gpu(context, index, memory):
    _tell(context, gpu=index, fb_used=_framebuffer_used(context, memory))


@given("the DCGM exporter publishes free rather than total framebuffer memory, as a real dcgm-exporter does")
def step_free_form(context):
    _tell(context, memory_form="free")


@given("the DCGM exporter stops answering")
@when("the DCGM exporter stops answering")
def step_down(context):
    _tell(context, up="false")


@when("the DCGM exporter answers again")
def step_up(context):
    _tell(context, up="true")


@then("the scaling history shows GPU memory at {memory:Percent} and compute at {compute:Percent}")
def step_history_gpu(context, memory, compute):
    history = list(context.world.status().history)
    assert_that(history, has_item(has_entries(reason=contains_string(f"(GPU mem: {memory:.1f}%, "
                                                                      f"compute: {compute:.1f}%)"))),
                "the reasons in the scaler's scaling history")


@then('the scaler reports {count:d} GPU of type "{gpu_type}" at {memory:Percent} memory and {compute:Percent} '
      'compute within {within:Duration}')
@then('the scaler reports {count:d} GPUs of type "{gpu_type}" at {memory:Percent} memory and {compute:Percent} '
      'compute within {within:Duration}')
def step_gpu_status(context, count, gpu_type, memory, compute, within):
    world = context.world
    world.poller.eventually(lambda: world.status().gpu,
                            has_entries(totalGPUs=count, gpuType=gpu_type, averageMemoryUtilization=round(memory),
                                        averageComputeUtilization=round(compute)),
                            within=within, what="the GPU status the scaler reports")
