"""Metric body parsing, snapshots and URLs (§3.1, §3.2); pod counting and the gate (§2.5, §4.2)."""
import pytest

from support.reference.metrics import (MetricNotFound, Snapshot, parse_metric, pod_metrics_url,
                                       pod_source_snapshot, snapshot)
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.pods import PodCounts, ready_pods, running_pods, should_gate
from support.reference.spec import InferenceEngineConfig, MetricSource

PROM = """# HELP foo a gauge
# TYPE foo gauge
foo{pod="a"} 10
foo{pod="b"} 30 1700000000000
foo_total 999
foo NaN
foo{x="y"} +Inf
bar 5
"""


def test_prometheus_series_are_averaged_and_names_are_exact():
    assert parse_metric(PROM, "foo") == 20.0
    assert parse_metric(PROM, "foo_total") == 999.0
    assert parse_metric(PROM, "bar") == 5.0


def test_prometheus_colon_names_and_exponents():
    body = "vllm:gpu_cache_usage_perc{model=\"m\"} 8.5e-01\n"
    assert parse_metric(body, "vllm:gpu_cache_usage_perc") == pytest.approx(0.85)


@pytest.mark.parametrize("body", ["", "foo NaN\n", "foo_total 3\n", "# foo 1\n", "foobar 2\n"])
def test_not_found(body):
    with pytest.raises(MetricNotFound, match="metric foo not found in response"):
        parse_metric(body, "foo")


def test_json_top_level_nested_and_numeric_strings():
    assert parse_metric('{"foo": 3}', "foo") == 3.0
    assert parse_metric('{"foo": "4.5"}', "foo") == 4.5
    assert parse_metric('{"a": {"b": {"foo": 7}}}', "foo") == 7.0
    assert parse_metric('{"foo": true, "a": {"foo": 2}}', "foo") == 2.0
    assert parse_metric('{"a": {"foo": 1}, "b": {"foo": 2}}', "foo") == 1.0


def test_json_arrays_are_not_searched():
    with pytest.raises(MetricNotFound):
        parse_metric('{"a": [{"foo": 1}]}', "foo")


def test_snapshot():
    assert snapshot([1.0, 2.0, 6.0]) == Snapshot(3.0, 3, 9.0, 1.0, 6.0)
    assert snapshot([]) == Snapshot(0.0, 0, 0.0, 0.0, 0.0)


def test_source_with_only_unready_pods():
    assert pod_source_snapshot([], 0, AS_BUILT).average == 0.0
    assert pod_source_snapshot([], 0, CONTRACT) is None
    assert pod_source_snapshot([], 2, AS_BUILT) is None   # every queried pod failed
    assert pod_source_snapshot([4.0], 2, CONTRACT).average == 4.0


def test_pod_metrics_url():
    plain = MetricSource("pod", "m", "1")
    assert pod_metrics_url("10.0.0.1", plain) == "http://10.0.0.1:8000/metrics"
    custom = MetricSource("pod", "m", "1", protocol_type="https", port="9090", path="stats")
    assert pod_metrics_url("10.0.0.1", custom) == "https://10.0.0.1:9090stats"
    engine = MetricSource("inferenceEngine", "m", "1", port="9090", path="/x",
                          inference_engine_config=InferenceEngineConfig("vllm", 8080, "/m"))
    assert pod_metrics_url("1.2.3.4", engine) == "http://1.2.3.4:8080/m"
    zero = MetricSource("inferenceEngine", "m", "1", port="9090", path="/x",
                        inference_engine_config=InferenceEngineConfig("vllm", 0, ""))
    assert pod_metrics_url("1.2.3.4", zero) == "http://1.2.3.4:9090/x"


def pod(phase, ready=None, deleting=False):
    status = {"phase": phase}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
    meta = {"deletionTimestamp": "2026-01-05T10:00:00Z"} if deleting else {}
    return {"metadata": meta, "status": status}


def test_pod_counts():
    pods = [pod("Running", True), pod("Running", True), pod("Running", False), pod("Running"),
            pod("Pending"), pod("Pending", deleting=True), pod("Running", True, deleting=True),
            pod("Succeeded"), pod("Failed")]
    counts = PodCounts.from_pods(pods)
    assert counts == PodCounts(ready=2, running_not_ready=2, pending=1)
    assert counts.starting == 3
    assert len(running_pods(pods)) == 4 and len(ready_pods(pods)) == 2


@pytest.mark.parametrize("ready, starting, max_pods, max_pct, gated", [
    (5, 5, 0, 0, False),
    (1, 2, 2, 0, True),
    (1, 1, 2, 0, False),
    (7, 3, 0, 30, True),     # 3/10*100 = 30.000000000000004 -> 30
    (71, 29, 0, 29, False),  # 29/100*100 = 28.999999999999996 -> 28
    (1, 1, 0, 50, True),
    (2, 1, 0, 50, False),
    (0, 0, 0, 50, False),
    (3, 0, 0, 50, False),
])
def test_should_gate(ready, starting, max_pods, max_pct, gated):
    assert should_gate(ready, starting, max_pods, max_pct) is gated
