"""Reaching a Service by its cluster DNS name through the API (support/operator/services.py)."""

import pytest

from support.operator.services import ApiEndpoints, NoEndpoint, system_dns

URL = "http://mock-dcgm-exporter.ns1.svc.cluster.local:9400/metrics"
SERVICE = {"spec": {"selector": {"app": "dcgm"},
                    "ports": [{"port": 9400, "targetPort": "metrics"}, {"port": 80, "targetPort": 8080}]}}


def pod(name, ip, ready=True, deleting=False):
    meta = {"name": name, "labels": {"app": "dcgm"}}
    if deleting:
        meta["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    return {"metadata": meta,
            "spec": {"containers": [{"ports": [{"name": "metrics", "containerPort": 19400}]}]},
            "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


class FakeApi:
    def __init__(self, services):
        self.services = services

    def get_or_none(self, kind, namespace, name):
        return self.services.get((namespace, name))


class FakePods:
    def __init__(self, pods):
        self.pods = pods

    def list(self, namespace, selector):
        return [p for p in self.pods if all(p["metadata"]["labels"].get(k) == v for k, v in selector.items())]


def resolver(pods, services=None):
    return ApiEndpoints(FakeApi({("ns1", "mock-dcgm-exporter"): SERVICE} if services is None else services),
                        FakePods(pods))


def test_a_service_name_becomes_its_first_ready_pod_at_the_named_target_port():
    pods = [pod("b", "10.0.0.2"), pod("a", "10.0.0.1", ready=False), pod("c", "10.0.0.3")]
    assert resolver(pods).url(URL) == "http://10.0.0.2:19400/metrics"


def test_a_numeric_target_port_and_the_short_service_name():
    short = "http://mock-dcgm-exporter.ns1.svc:80/x?y=1"
    assert resolver([pod("a", "10.0.0.1")]).url(short) == "http://10.0.0.1:8080/x?y=1"


def test_deleting_pods_are_no_endpoints():
    with pytest.raises(NoEndpoint, match="ns1/mock-dcgm-exporter port 9400"):
        resolver([pod("a", "10.0.0.1", deleting=True)]).url(URL)


@pytest.mark.parametrize("pods, services, url", [
    ([pod("a", "10.0.0.1")], {}, URL),
    ([], None, URL),
    ([pod("a", "10.0.0.1")], None, "http://mock-dcgm-exporter.ns1.svc.cluster.local:9999/metrics"),
])
def test_a_service_name_without_a_ready_endpoint_is_refused_at_once(pods, services, url):
    with pytest.raises(NoEndpoint):
        resolver(pods, services).url(url)


def test_names_that_are_no_cluster_service_name_stay_as_they_are():
    assert resolver([pod("a", "10.0.0.1")]).url("http://example.test:9400/metrics") == "http://example.test:9400/metrics"


def test_system_dns_leaves_the_url_alone():
    assert system_dns(None, None).url(URL) == URL


class FakeServiceCache:
    def __init__(self, services):
        self.services, self.stopped = services, False

    def get(self, namespace, name):
        return self.services.get((namespace, name))

    def stop(self):
        self.stopped = True


class NoGets:
    def get_or_none(self, kind, namespace, name):
        raise AssertionError("a Service was read with a GET although a Services cache is there")


def test_services_come_from_the_cache_started_on_the_first_lookup_and_stopped_on_close():
    cache, started = FakeServiceCache({("ns1", "mock-dcgm-exporter"): SERVICE}), []
    endpoints = ApiEndpoints(NoGets(), FakePods([pod("a", "10.0.0.1")]), lambda: started.append(1) or cache)
    assert endpoints.url("http://example.test/x") == "http://example.test/x" and not started, \
        "a name that is no cluster Service name started the Services cache"
    assert endpoints.url(URL) == "http://10.0.0.1:19400/metrics"
    assert endpoints.url(URL) == "http://10.0.0.1:19400/metrics"
    assert started == [1], "the Services cache was started more than once"
    endpoints.close()
    assert cache.stopped, "closing the resolver left its Services cache running"


def test_without_a_services_cache_each_lookup_reads_the_service():
    endpoints = ApiEndpoints(FakeApi({("ns1", "mock-dcgm-exporter"): SERVICE}), FakePods([pod("a", "10.0.0.1")]),
                             lambda: None)
    assert endpoints.url(URL) == "http://10.0.0.1:19400/metrics"
