"""Metric sources to the letter: exact error texts, every field of a planned GET, the branches a loose check misses.

`pytest.raises(match=...)` searches, so a mangled message ("XX...XX") still matched; these compare whole texts.
"""
import json
from dataclasses import replace

import pytest
from hamcrest import assert_that, contains_exactly, equal_to, has_properties

from support.reference.model import AS_BUILT, CONTRACT
from support.reference.sources import (Fetch, Reply, SourceError, custom_value, external_url, external_value,
                                       plan_fetches, prometheus_url, prometheus_value, read_value, reads_pods,
                                       resource_value)
from test_reference_sources import pod, pod_metrics, src


def error_of(call, *args) -> str:
    """The text of the SourceError `call(*args)` raises."""
    try:
        result = call(*args)
    except SourceError as error:
        return str(error)
    raise AssertionError(f"{call.__name__} returned {result!r} instead of raising SourceError")


def prom(data, status="success") -> str:
    return json.dumps({"status": status, "data": data})


# -- which sources read pods, and the GETs they plan ----------------------------------------------
@pytest.mark.parametrize("kind, per_pod", [("pod", True), ("inferenceEngine", True), ("resource", True),
                                           ("custom", True), ("prometheus", False), ("external", False)])
def test_reads_pods_names_the_per_pod_kinds(kind, per_pod):
    assert_that(reads_pods(src(kind)), equal_to(per_pod), f"is a {kind} source read from each ready pod?")


def test_a_pod_without_an_ip_gets_an_empty_url():
    no_ip = pod("a", ip=None)
    fetches = plan_fetches(src("pod", port="9000"), "ns", [no_ip], [], CONTRACT)
    assert_that(fetches[0].url, equal_to(""), "a pod with no IP yet is planned with no URL (nothing is sent)")


def test_metrics_api_fetches_are_keyed_by_pod_and_go_to_kubernetes():
    for kind, metric, url in (("resource", "cpu", "/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/a"),
                              ("custom", "queue", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/a/queue")):
        fetches = plan_fetches(src(kind, metric), "ns", [pod("a")], [], CONTRACT)
        assert_that(fetches, contains_exactly(has_properties(key="a", url=url, api="kubernetes", timeout=10.0)),
                    f"the {kind} source's GET of pod a")


def test_endpoint_fetches_are_one_aggregate_get_with_a_30_s_timeout():
    prometheus = plan_fetches(src("prometheus", promQL="up", endpoint="http://p"), "ns", [], [], CONTRACT)
    assert_that(prometheus, contains_exactly(has_properties(key="_aggregate", api="http", timeout=30.0,
                                                            url="http://p/api/v1/query?query=up")),
                "the prometheus source's one GET")
    other_ns = pod("a", labels={"app": "llm"})
    other_ns["metadata"]["namespace"] = "apps"
    external = plan_fetches(src("external", "queue", endpoint="http://e/q"), "ns", [], [other_ns], CONTRACT)
    assert_that(external[0].url, equal_to("http://e/q?label_app=llm&metric=queue&namespace=apps"),
                "the external GET carries the first running pod's namespace and labels")


def test_an_unknown_source_kind_is_refused_by_name():
    bogus = replace(src("pod"), metric_source_type="carrier-pigeon")
    assert_that(error_of(plan_fetches, bogus, "ns", [], [], CONTRACT),
                equal_to("unsupported metric source type: carrier-pigeon"))


# -- URLs ----------------------------------------------------------------------------------------------
def test_prometheus_url_escapes_every_reserved_character_and_names_the_missing_endpoint():
    assert_that(prometheus_url(src("prometheus", promQL="a/b", endpoint="http://p")),
                equal_to("http://p/api/v1/query?query=a%2Fb"), "a slash in promQL is escaped too")
    assert_that(error_of(prometheus_url, src("prometheus", promQL="up")),
                equal_to("endpoint is required for prometheus metric source"))


@pytest.mark.parametrize("endpoint, url", [
    ("http://e/q", "http://e/q?metric=queue&namespace=ns"),       # a scheme is not added twice
    ("e:80", "http://e:80?metric=queue&namespace=ns"),            # four characters: gets http://
    ("e:8", "e:8?metric=queue&namespace=ns"),                     # shorter: left as the controller leaves it
    ("http://e/q?empty=&z=1", "http://e/q?empty=&metric=queue&namespace=ns&z=1"),  # blank values are kept
])
def test_external_url_scheme_and_query(endpoint, url):
    assert_that(external_url(src("external", "queue", endpoint=endpoint), "ns", []), equal_to(url),
                f"the external URL built from endpoint {endpoint!r}")


def test_external_url_escapes_slashes_in_label_keys_and_values():
    running = [pod("a", labels={"app.kubernetes.io/name": "llm/v1"})]
    assert_that(external_url(src("external", "queue", endpoint="http://e"), "ns", running),
                equal_to("http://e?label_app.kubernetes.io%2Fname=llm%2Fv1&metric=queue&namespace=ns"))


def test_external_url_names_the_missing_endpoint():
    assert_that(error_of(external_url, src("external"), "ns", []),
                equal_to("endpoint is required for external metric source"))


# -- replies of each kind through read_value ----------------------------------------------------------------
def test_read_value_dispatches_each_kind():
    engine = src("inferenceEngine", "queue", inferenceEngineConfig={"engineType": "vllm"})
    assert_that(read_value(engine, Fetch("a", "http://10.0.0.1:8000/metrics"), Reply(200, "queue 3\n"), CONTRACT),
                equal_to(3.0), "an inferenceEngine source reads the pod's metrics text")
    metrics = Reply(200, json.dumps(pod_metrics(cpu="250m")))
    assert_that(read_value(src("resource", "cpu"), Fetch("a", "/x", "kubernetes"), metrics, CONTRACT, pod("a")),
                equal_to(50.0), "a resource source is usage / request x 100 of the pod")
    assert_that(read_value(src("resource", "cpu"), Fetch("a", "/x", "kubernetes"), metrics, CONTRACT),
                equal_to(250.0), "without the pod there are no requests: the raw millicores")
    prometheus = src("prometheus", promQL="up", endpoint="http://p")
    body = prom({"resultType": "vector", "result": [{"value": [0, "4"]}]})
    assert_that(read_value(prometheus, Fetch("_aggregate", "x"), Reply(200, body), CONTRACT), equal_to(4.0))
    scalar = Reply(200, prom({"resultType": "scalar", "result": [0, "1"]}))
    assert_that(error_of(read_value, prometheus, Fetch("_aggregate", "x"), scalar, AS_BUILT),
                equal_to("failed to decode prometheus response"), "the model decides whether a scalar is read")
    external = src("external", "queue", endpoint="http://e")
    assert_that(read_value(external, Fetch("_aggregate", "x"), Reply(200, '{"stats": {"queue": 6}}'), CONTRACT),
                equal_to(6.0), "an external source searches the body for its target metric")


@pytest.mark.parametrize("kind, metric, what", [("resource", "cpu", "pod metrics"), ("custom", "queue", "custom metric")])
def test_metrics_api_reply_errors_name_the_pod(kind, metric, what):
    source, fetch = src(kind, metric), Fetch("a", "/x", "kubernetes")
    assert_that(error_of(read_value, source, fetch, Reply(None, error="dial tcp: refused"), CONTRACT),
                equal_to("dial tcp: refused"), "a failed request reports the transport error")
    assert_that(error_of(read_value, source, fetch, Reply(503, "busy"), CONTRACT),
                equal_to(f"failed to get {what} for pod a: status 503: busy"))
    assert_that(error_of(read_value, source, fetch, Reply(200, "{not json"), CONTRACT),
                equal_to(f"failed to decode {what} for pod a"))


def test_endpoint_transport_errors_are_reported_as_they_are():
    prometheus = src("prometheus", promQL="up", endpoint="http://p")
    assert_that(error_of(read_value, prometheus, Fetch("_aggregate", "x"), Reply(None, error="timeout"), CONTRACT),
                equal_to("timeout"))


# -- resource and custom values ----------------------------------------------------------------------------------
def test_a_container_without_usage_of_the_metric_counts_zero():
    metrics = {"containers": [{"usage": {"memory": "1Gi"}}, {"usage": {"cpu": "100m"}}]}
    assert_that(resource_value("cpu", metrics, pod("a", cpu=None)), equal_to(100.0),
                "the container reporting only memory adds 0 millicores")


def test_an_invalid_usage_quantity_is_named():
    metrics = {"containers": [{"usage": {"cpu": "lots"}}]}
    assert_that(error_of(resource_value, "cpu", metrics, pod("a")), equal_to("invalid cpu quantity 'lots'"))


def test_custom_value_picks_the_pods_own_item():
    listing = {"items": [{"describedObject": {"name": "b"}, "value": "1"},
                         {"describedObject": {"name": "a"}, "value": "2"}]}
    assert_that(custom_value("queue", "a", listing), equal_to(2.0), "pod a's item, not the first one")
    assert_that(custom_value("queue", "a", {"items": [{"value": "3"}]}), equal_to(3.0),
                "an item that names no object applies to the pod asked about")
    assert_that(custom_value("queue", "a", {"items": [{"describedObject": {"kind": "Pod"}, "value": "4"}]}),
                equal_to(4.0), "an object without a name applies to the pod asked about")


def test_custom_value_errors():
    assert_that(error_of(custom_value, "queue", "a", {"items": [{"value": "x1"}]}),
                equal_to("invalid value 'x1' for custom metric queue"))
    fetch = Fetch("a", "/x", "kubernetes")
    assert_that(error_of(read_value, src("custom", "queue"), fetch, Reply(200, '{"items": []}'), CONTRACT),
                equal_to("custom metric queue not found for pod a"))


# -- prometheus values ---------------------------------------------------------------------------------------------------
def test_prometheus_failure_without_error_details():
    assert_that(error_of(prometheus_value, json.dumps({"status": "error"}), CONTRACT),
                equal_to("prometheus query failed: : "), "missing errorType and error read as empty")


@pytest.mark.parametrize("body", ["not json", prom({"resultType": "vector", "result": "x"}), prom({"result": None})])
def test_undecodable_prometheus_responses(body):
    assert_that(error_of(prometheus_value, body, CONTRACT), equal_to("failed to decode prometheus response"))


def test_scalar_results():
    assert_that(prometheus_value(prom({"result": [0, "2.5"]}), CONTRACT), equal_to(2.5),
                "a [time, value] pair without resultType is a scalar")
    for result in ([], [0], "35", [0, "x"]):
        assert_that(error_of(prometheus_value, prom({"resultType": "scalar", "result": result}), CONTRACT),
                    equal_to("no valid values in Prometheus response"), f"a scalar result {result!r}")
    assert_that(error_of(prometheus_value, prom({"resultType": "scalar", "result": [0, "1"]}), AS_BUILT),
                equal_to("failed to decode prometheus response"), "as built a scalar is not decoded")


def test_vector_result_errors():
    assert_that(error_of(prometheus_value, prom({"resultType": "vector", "result": []}), CONTRACT),
                equal_to("no data returned from Prometheus query"))
    assert_that(error_of(prometheus_value, prom({"resultType": "vector", "result": [{"value": [0, "x"]}]}), CONTRACT),
                equal_to("failed to parse value from Prometheus response: [0, 'x']"))
    two = prom({"resultType": "vector", "result": [{"value": [0, "x"]}, {"value": [0, "y"]}]})
    assert_that(error_of(prometheus_value, two, CONTRACT), equal_to("no valid values in Prometheus response"))


# -- external values ---------------------------------------------------------------------------------------------------
def test_external_parse_errors_quote_the_first_100_characters():
    long_text = "<" + "x" * 200
    assert_that(error_of(external_value, long_text, "queue", CONTRACT),
                equal_to(f"failed to parse external metric response: {long_text[:100]!r}"))
    long_list = json.dumps(list(range(60)))
    assert_that(error_of(external_value, long_list, "queue", CONTRACT),
                equal_to(f"failed to parse external metric response: {long_list[:100]!r}"))


def test_the_typed_data_map_wins_over_a_search():
    body = json.dumps({"other": {"queue": 1}, "data": {"queue": 2}})
    assert_that(external_value(body, "queue", CONTRACT), equal_to(2.0),
                "data.<metric> of the typed response, not the first nested match")


@pytest.mark.parametrize("body, value", [
    ('{"metric": 10, "error": "boom"}', 10.0),   # metric is not a string: not the typed response, its error unread
    ('{"data": 5, "error": "boom"}', 5.0),       # data is not a map: likewise
    ('{"error": 5, "value": 2}', 2.0),           # error is not a string: likewise
])
def test_a_body_that_is_not_the_typed_response_is_searched(body, value):
    assert_that(external_value(body, "queue", CONTRACT), equal_to(value), f"the value read from {body}")
