"""The operator's scraping: it makes the GETs the model plans and hands back what came, including failures."""

from kubernetes.client.exceptions import ApiException

from support.operator import scraping
from support.reference.collection import Collection, SourcePlan
from support.reference.model import CONTRACT
from support.reference.sources import Fetch, Reply
from support.reference.spec import ScalerSpec

SCALER = {"apiVersion": "scaler.bud.studio/v1alpha1", "kind": "BudAIScaler",
          "metadata": {"name": "s", "namespace": "ns"},
          "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
                   "minReplicas": 1, "maxReplicas": 3, "scalingStrategy": "BudScaler",
                   "metricsSources": [{"metricSourceType": "external", "targetMetric": "m", "targetValue": "1",
                                       "endpoint": "http://svc.ns.svc.cluster.local:80/x"}]}}


class FakeApi:
    def __init__(self, answer):
        self.answer, self.paths = answer, []

    def text(self, method, path, **_):
        self.paths.append(path)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def collect(fetches, api, resolve=lambda url: url):
    spec = ScalerSpec.from_object(SCALER)
    seen = {}

    def plan(spec_, namespace, pods, model):
        return [SourcePlan(spec_.metrics_sources[0], tuple(fetches))]

    def gather(plans, replies, pods, model):
        seen["replies"] = replies
        return Collection()
    scraping.collect(spec, [], CONTRACT, scraping.new_http(), api, plan, gather, resolve)
    return seen["replies"][0]


def test_a_service_without_endpoint_is_a_failed_reply_not_a_crash():
    def refuse(url):
        raise LookupError("no ready endpoint for Service ns/svc")
    [reply] = collect([Fetch("_aggregate", "http://svc.ns.svc.cluster.local:80/x")], FakeApi(""), refuse)
    assert reply == Reply(None, error="no ready endpoint for Service ns/svc")


def test_metrics_api_paths_go_through_the_api_client():
    api = FakeApi('{"containers": []}')
    [reply] = collect([Fetch("p", "/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/p", "kubernetes")], api)
    assert reply == Reply(200, '{"containers": []}')
    assert api.paths == ["/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/p"]


def test_a_metrics_api_error_keeps_its_status():
    error = ApiException(status=404, reason="Not Found")
    error.body = "not served"
    [reply] = collect([Fetch("p", "/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/p", "kubernetes")],
                      FakeApi(error))
    assert (reply.status, reply.body) == (404, "not served")


def test_a_pod_without_address_is_not_asked():
    [reply] = collect([Fetch("p", "")], FakeApi(""))
    assert reply.status is None and reply.error
