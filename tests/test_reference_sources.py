"""Each metric source kind: where it is read and how a reply becomes a value (§3.2-§3.6)."""
import json

import pytest

from support.reference.model import AS_BUILT, CONTRACT
from support.reference.sources import (Fetch, Reply, SourceError, external_url, external_value, plan_fetches,
                                       prometheus_url, prometheus_value, read_value, resource_value)
from support.reference.spec import MetricSource, ScalerSpec


def src(kind, metric="m", target="1", **fields):
    spec = {"metricSourceType": kind, "targetMetric": metric, "targetValue": target, **fields}
    return ScalerSpec.from_object({"spec": {"metricsSources": [spec]}}).metrics_sources[0]


def pod(name, ip="10.0.0.1", labels=None, cpu="500m", memory=None):
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    return {"metadata": {"name": name, "namespace": "ns", "labels": labels or {}},
            "spec": {"containers": [{"name": "app", "resources": {"requests": requests}}]},
            "status": {"phase": "Running", "podIP": ip,
                       "conditions": [{"type": "Ready", "status": "True"}]}}


# -- pod and inferenceEngine -----------------------------------------------------------
def test_pod_sources_read_every_ready_pod_on_its_port_and_path():
    fetches = plan_fetches(src("pod", port="9000", path="/stats"), "ns", [pod("a"), pod("b", "10.0.0.2")], [], CONTRACT)
    assert [(f.key, f.url, f.api) for f in fetches] == [("a", "http://10.0.0.1:9000/stats", "http"),
                                                        ("b", "http://10.0.0.2:9000/stats", "http")]
    engine = src("inferenceEngine", port="9000", inferenceEngineConfig={"engineType": "vllm", "metricsPort": 8080})
    assert plan_fetches(engine, "ns", [pod("a")], [], CONTRACT)[0].url == "http://10.0.0.1:8080/metrics"


def test_pod_replies():
    source = src("pod", "vllm:num_requests_waiting")
    fetch = Fetch("a", "http://10.0.0.1:8000/metrics")
    text = 'vllm:num_requests_waiting{model="x"} 4\nvllm:num_requests_waiting{model="y"} 6\n'
    assert read_value(source, fetch, Reply(200, text), CONTRACT) == 5.0           # mean of the series
    assert read_value(source, fetch, Reply(200, '{"vllm:num_requests_waiting": "7"}'), CONTRACT) == 7.0
    with pytest.raises(SourceError, match="unexpected status code 503 from http://10.0.0.1:8000/metrics"):
        read_value(source, fetch, Reply(503, "busy"), CONTRACT)
    with pytest.raises(SourceError, match="metric vllm:num_requests_waiting not found in response"):
        read_value(source, fetch, Reply(200, "<html>garbage</html>"), CONTRACT)
    with pytest.raises(SourceError, match="connection refused"):
        read_value(source, fetch, Reply(None, error="connection refused"), CONTRACT)
    with pytest.raises(SourceError, match="pod a has no IP address"):
        read_value(source, Fetch("a", ""), Reply(None), CONTRACT)


# -- resource and custom ------------------------------------------------------------------
def pod_metrics(cpu="250m", memory="512Mi"):
    return {"containers": [{"name": "app", "usage": {"cpu": cpu, "memory": memory}}]}


def test_resource_is_utilisation_of_the_requests_or_the_raw_usage():
    assert resource_value("cpu", pod_metrics(cpu="250m"), pod("a", cpu="500m")) == 50.0
    assert resource_value("memory", pod_metrics(memory="512Mi"), pod("a", memory="1Gi")) == 50.0
    assert resource_value("cpu", pod_metrics(cpu="250m"), pod("a", cpu=None)) == 250.0     # millicores
    assert resource_value("memory", pod_metrics(memory="1Ki"), pod("a", cpu=None)) == 1024.0  # bytes
    with pytest.raises(SourceError, match="unsupported resource metric: gpu"):
        resource_value("gpu", pod_metrics(), pod("a"))
    assert resource_value("gpu", {"containers": []}, pod("a")) == 0.0


def test_resource_and_custom_read_the_metrics_apis():
    resource = plan_fetches(src("resource", "cpu"), "ns", [pod("a")], [], CONTRACT)
    assert (resource[0].api, resource[0].url) == ("kubernetes", "/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/a")
    custom = plan_fetches(src("custom", "queue"), "ns", [pod("a")], [], CONTRACT)
    assert custom[0].url == "/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/a/queue"
    as_built = plan_fetches(src("custom", "queue"), "ns", [pod("a")], [], AS_BUILT)
    assert as_built[0].url == "/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/a"


def test_custom_values():
    listing = {"kind": "MetricValueList", "items": [
        {"describedObject": {"kind": "Pod", "name": "a"}, "metricName": "queue", "value": "1500m"}]}
    fetch = Fetch("a", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/a/queue", "kubernetes")
    assert read_value(src("custom", "queue"), fetch, Reply(200, json.dumps(listing)), CONTRACT) == 1.5
    # as built a custom source is read as a resource metric: queue is not cpu or memory
    metrics = Reply(200, json.dumps(pod_metrics()))
    with pytest.raises(SourceError, match="unsupported resource metric: queue"):
        read_value(src("custom", "queue"), fetch, metrics, AS_BUILT, pod("a"))


# -- prometheus ----------------------------------------------------------------------------
def vector(*values):
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"pod": f"p{i}"}, "value": [1767607200.0, v]} for i, v in enumerate(values)]}})


def test_prometheus_url():
    source = src("prometheus", promQL='sum(rate(x{ns="a b"}[1m]))', endpoint="prometheus.monitoring:9090")
    assert prometheus_url(source) == ("http://prometheus.monitoring:9090/api/v1/query?query="
                                      "sum%28rate%28x%7Bns%3D%22a+b%22%7D%5B1m%5D%29%29")
    assert prometheus_url(src("prometheus", promQL="up", endpoint="https://p/")) == "https://p/api/v1/query?query=up"
    with pytest.raises(SourceError, match="promQL query is required for prometheus metric source"):
        prometheus_url(src("prometheus", endpoint="http://p"))
    with pytest.raises(SourceError, match="endpoint is required for prometheus metric source"):
        prometheus_url(src("prometheus", promQL="up"))


def test_prometheus_values():
    assert prometheus_value(vector("42"), CONTRACT) == 42.0
    assert prometheus_value(vector("1", "2", "x"), CONTRACT) == 1.5        # mean of the parseable ones
    with pytest.raises(SourceError, match="no data returned from Prometheus query"):
        prometheus_value(vector(), CONTRACT)
    with pytest.raises(SourceError, match="no valid values in Prometheus response"):
        prometheus_value(vector("x", "y"), CONTRACT)
    failed = json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error"})
    with pytest.raises(SourceError, match="prometheus query failed: bad_data: parse error"):
        prometheus_value(failed, CONTRACT)
    with pytest.raises(SourceError, match="failed to decode prometheus response"):
        prometheus_value("not json", CONTRACT)


def test_prometheus_scalar_result():
    scalar = json.dumps({"status": "success", "data": {"resultType": "scalar", "result": [1767607200.0, "3.5"]}})
    assert prometheus_value(scalar, CONTRACT) == 3.5
    with pytest.raises(SourceError, match="failed to decode prometheus response"):
        prometheus_value(scalar, AS_BUILT)


def test_prometheus_non_200():
    source = src("prometheus", promQL="up", endpoint="http://p")
    with pytest.raises(SourceError, match="prometheus query failed with status 500: boom"):
        read_value(source, Fetch("_aggregate", "x"), Reply(500, "boom"), CONTRACT)


# -- external ------------------------------------------------------------------------------
def test_external_url_carries_the_first_running_pods_labels():
    source = src("external", "queue", endpoint="metrics.svc:8000/q?z=1&metric=old")
    running = [pod("a", labels={"app": "llm", "tier": "gpu a"}), pod("b", labels={"app": "other"})]
    assert external_url(source, "ns", running) == (
        "http://metrics.svc:8000/q?label_app=llm&label_tier=gpu+a&metric=queue&namespace=ns&z=1")
    assert external_url(source, "scaler-ns", []) == "http://metrics.svc:8000/q?metric=queue&namespace=scaler-ns&z=1"
    with pytest.raises(SourceError, match="endpoint is required for external metric source"):
        external_url(src("external"), "ns", running)


def test_external_fetch_has_the_headers_and_a_30_s_timeout():
    source = src("external", endpoint="http://e", headers={"Authorization": "Bearer t"})
    fetch = plan_fetches(source, "ns", [], [pod("a")], CONTRACT)[0]
    assert (fetch.key, dict(fetch.headers), fetch.timeout) == ("_aggregate", {"Authorization": "Bearer t"}, 30.0)


@pytest.mark.parametrize("body, value", [
    ("42", 42.0),
    ('{"value": 3}', 3.0),
    ('{"value": "4.5"}', 4.5),
    ('{"data": {"queue": 6}}', 6.0),
    ('{"queue": 7, "value": null}', 7.0),
    ('{"stats": {"inner": {"queue": "8"}}}', 8.0),
    ('{"result": 9}', 9.0),
    ('{"metric": 10}', 10.0),            # "metric" is not a name here: the struct fails, the generic keys find it
])
def test_external_bodies(body, value):
    assert external_value(body, "queue", CONTRACT) == value
    assert external_value(body, "queue", AS_BUILT) == value


def test_external_body_with_a_newline():
    assert external_value("42\n", "queue", CONTRACT) == 42.0
    with pytest.raises(SourceError, match="failed to parse external metric response"):
        external_value("42\n", "queue", AS_BUILT)


def test_external_errors():
    with pytest.raises(SourceError, match="external metric error: no such metric"):
        external_value('{"error": "no such metric"}', "queue", CONTRACT)
    with pytest.raises(SourceError, match="unexpected value type"):
        external_value('{"value": [1]}', "queue", CONTRACT)
    with pytest.raises(SourceError, match="metric queue not found in response"):
        external_value('{"other": 1}', "queue", CONTRACT)
    with pytest.raises(SourceError, match="failed to parse external metric response"):
        external_value("<html>", "queue", CONTRACT)
    source = src("external", "queue", endpoint="http://e")
    with pytest.raises(SourceError, match="external query failed with status 404: nope"):
        read_value(source, Fetch("_aggregate", "http://e"), Reply(404, "nope"), CONTRACT)


def test_metric_source_dataclass_is_what_spec_builds():
    assert isinstance(src("external"), MetricSource)
