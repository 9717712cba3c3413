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


@given("the scaler reads CPU as a resource source, against a target of {target:d}% of the requested CPU")
def step_resource_source(context, target):
    context.world.patch_scaler({"metricsSources": [
        {"metricSourceType": "resource", "targetMetric": "cpu", "targetValue": str(target)}]})


@given("the scaler reads memory as a resource source, against a target of {mib:d} MiB")
def step_memory_source(context, mib):
    """The pods request no memory, so the source reads the bytes each uses (not a share of a request)."""
    context.world.patch_scaler({"metricsSources": [
        {"metricSourceType": "resource", "targetMetric": "memory", "targetValue": str(mib << 20)}]})


@given("memory use is {mib:d} MiB on every inference pod")
@when("memory use rises to {mib:d} MiB on every inference pod")
def step_memory_use(context, mib):
    took = context.world.tell_inference_pods("/set", memory=f"{mib}Mi")
    assert_that(took, greater_than(0), f"no running inference pod took a memory use of {mib} MiB")


@given("the scaler reads the requests waiting on each pod from the custom metrics API, against a target of {target:d}")
def step_custom_source(context, target):
    context.world.patch_scaler({"metricsSources": [
        {"metricSourceType": "custom", "targetMetric": "vllm_num_requests_waiting", "targetValue": str(target)}]})


# What Prometheus is asked for the requests waiting on all the workload's pods together.
WAITING_IN_TOTAL = "sum(vllm_num_requests_waiting)"


@given("the scaler reads the requests waiting in total from Prometheus, against a target of {target:d}")
def step_prometheus_source(context, target):
    endpoint = f"http://mock-prometheus.{context.world.namespace}.svc.cluster.local:9090"
    context.world.patch_scaler({"metricsSources": [
        {"metricSourceType": "prometheus", "targetMetric": "requests_waiting_total", "targetValue": str(target),
         "endpoint": endpoint, "promQL": WAITING_IN_TOTAL}]})


@given("Prometheus reports {count:d} requests waiting in total")
@when("Prometheus reports {count:d} requests waiting in total")
def step_prometheus_reports(context, count):
    took = context.world.tell_side_service("Prometheus server", "/set", query=WAITING_IN_TOTAL, value=count)
    assert_that(took, greater_than(0), f"no running Prometheus server took the answer {count}")


@given("the scaler hands its workload to a HorizontalPodAutoscaler on the requests waiting in total, "
       "an external metric, against a target of {target:d}")
def step_external_source(context, target):
    endpoint = f"http://mock-vllm-metrics.{context.world.namespace}.svc.cluster.local:8000/json"
    context.world.patch_scaler({"scalingStrategy": "HPA", "metricsSources": [
        {"metricSourceType": "external", "targetMetric": "vllm_num_requests_waiting", "targetValue": str(target),
         "endpoint": endpoint}]})


@given("{count:d} requests are waiting on every inference pod")
@when("{count:d} requests are waiting on every inference pod")
def step_waiting(context, count):
    took = context.world.tell_inference_pods("/set", requests_waiting=count)
    assert_that(took, greater_than(0), f"no running inference pod took {count} waiting requests")
