"""Collecting sources, the parts a mean alone does not show: which pod a reply belongs to, the serving bodies kept
for the learner, the plan's inputs, and the text when nothing answered."""
from hamcrest import assert_that, contains_exactly, equal_to, has_entries, has_key, not_

from support.reference.collection import gather, plan
from support.reference.model import CONTRACT
from support.reference.sources import Reply
from test_reference_collection import EXTERNAL, POD_SOURCE, collect, pod, spec

ENGINE = {"metricSourceType": "inferenceEngine", "targetMetric": "load", "targetValue": "70",
          "inferenceEngineConfig": {"engineType": "vllm"}}
RESOURCE = {"metricSourceType": "resource", "targetMetric": "cpu", "targetValue": "50"}


def with_cpu_request(p, cpu):
    return {**p, "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": cpu}}}]}}


def test_a_resource_reply_is_read_against_its_own_pods_requests():
    pods = [with_cpu_request(pod("a"), "500m"), with_cpu_request(pod("bb"), "1")]
    usage = lambda plans: [[Reply(200, '{"containers": [{"usage": {"cpu": "250m"}}]}')] * 2]
    _, result = collect(spec(RESOURCE), pods, usage)
    assert_that(result.snapshots["cpu"].min, equal_to(25.0), "250m of pod bb's 1 CPU request is 25 %")
    assert_that(result.snapshots["cpu"].max, equal_to(50.0), "250m of pod a's 500m request is 50 %")


def test_a_custom_source_is_planned_per_model():
    custom = {"metricSourceType": "custom", "targetMetric": "queue", "targetValue": "5"}
    plans = plan(spec(custom), "ns", [pod("a")], CONTRACT)
    assert_that(plans[0].fetches[0].url, equal_to("/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/a/queue"),
                "the contract reads the custom metrics API")


def test_the_external_url_carries_the_running_pods_labels():
    plans = plan(spec(EXTERNAL), "ns", [pod("a")], CONTRACT)
    assert_that(plans[0].fetches[0].url, equal_to("http://q?label_app=llm&metric=queue&namespace=ns"))


def test_the_first_pod_sources_bodies_are_kept_for_the_learner():
    replies = lambda plans: [[Reply(200, "load 60")], [Reply(200, "load 70")]]
    _, result = collect(spec(POD_SOURCE, dict(POD_SOURCE, targetMetric="load2", port="9000")), [pod("a")],
                        lambda plans: [[Reply(200, "load 60\nload2 1")], [Reply(200, "load2 2\nload 0")]])
    assert_that(result.bodies, contains_exactly("load 60\nload2 1"), "the first pod source's bodies, not a later one's")
    _, engine = collect(spec(ENGINE), [pod("a")], replies)
    assert_that(engine.bodies, contains_exactly("load 60"), "an inferenceEngine source's bodies are kept too")
    _, external = collect(spec(EXTERNAL, POD_SOURCE), [pod("a")],
                          lambda plans: [[Reply(200, "5")], [Reply(200, "load 60")]])
    assert_that(external.bodies, contains_exactly("load 60"), "an endpoint's body is not a serving body")


def test_a_failure_of_a_metric_that_a_later_source_reads_is_dropped():
    other = dict(POD_SOURCE, port="9000")
    replies = lambda plans: [[Reply(500, "x")], [Reply(200, "load 20")]]
    result = collect(spec(POD_SOURCE, other), [pod("a")], replies)[1]
    assert_that(result.errors, not_(has_key("load")), "the later source read load: the earlier error is gone")


def test_an_endpoint_source_without_replies_says_so():
    plans = plan(spec(EXTERNAL), "ns", [pod("a")], CONTRACT)
    result = gather(plans, [[]], [pod("a")], CONTRACT)
    assert_that(result.errors, has_entries(queue="no reply"), "the operator sent no request for the endpoint")
