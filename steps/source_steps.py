"""Sentences about where and how a scaler reads its metrics."""

from behave import given, when
from hamcrest import assert_that, greater_than

# How each format names GPU cache usage on the mock vLLM metrics server, and where it serves it.
FORMATS = {"Prometheus text": ("vllm_gpu_cache_usage_perc", "/metrics"),
           "JSON": ("vllm:gpu_cache_usage_perc", "/json")}


@given("the scaler reads GPU cache usage as a {kind} source in {format_}, against a target of {target}")
def step_source(context, kind, format_, target):
    if format_ not in FORMATS:
        raise ValueError(f"unknown metrics format {format_!r}: say one of {', '.join(FORMATS)}")
    metric, path = FORMATS[format_]
    context.world.patch_scaler({"metricsSources": [
        {"metricSourceType": kind, "targetMetric": metric, "targetValue": target, "port": "8000", "path": path}]})


@given("the scaler also reads the requests waiting on each pod, against a target of {target:d}")
def step_second_source(context, target):
    sources = context.world.scaler_spec().get("metricsSources") or []
    waiting = {"metricSourceType": "pod", "targetMetric": "vllm_num_requests_waiting", "targetValue": str(target),
               "port": "8000", "path": "/metrics"}
    context.world.patch_scaler({"metricsSources": [*sources, waiting]})


@given("{count:d} requests are waiting on every inference pod")
@when("{count:d} requests are waiting on every inference pod")
def step_waiting(context, count):
    took = context.world.tell_inference_pods("/set", requests_waiting=count)
    assert_that(took, greater_than(0), f"no running inference pod took {count} waiting requests")
