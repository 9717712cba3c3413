"""The node agent stands in for kube-proxy and cluster DNS (issue 7): pods reach Services by
ClusterIP and by name, and nothing they look up or connect to leaves the machine."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid

import pytest
from dnslib import QTYPE, RCODE, DNSRecord
from hamcrest import assert_that, contains_string, empty, equal_to, is_

from support.controlplane import network
from support.controlplane.node.dns import answer
from support.controlplane.node.services import Service, ServiceTable
from support.kube.pods import container_port
from netns_fixtures import needs_netns, node_network  # noqa: F401  (fixture)


def _service(name="web", namespace="shop", cluster_ip="198.19.201.7", selector=None, ports=None) -> dict:
    spec = {"clusterIP": cluster_ip or "None", "selector": {"app": name} if selector is None else selector,
            "ports": ports or [{"port": 80, "targetPort": "http", "protocol": "TCP"}]}
    return {"metadata": {"namespace": namespace, "name": name}, "spec": spec}


def _pod(name: str, labels: dict, port: int = 8080) -> dict:
    return {"metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": port}]}]}}


class FakeNode:
    def __init__(self, ready: dict[str, list[tuple[dict, str]]]):
        self.ready = ready

    def ready_pods(self, namespace):
        return self.ready.get(namespace, [])


def _query(name: str, qtype: str = "A") -> DNSRecord:
    return DNSRecord.parse(answer(DNSRecord.question(name, qtype).pack(), _lookup))


def _lookup(namespace: str, service: str) -> list[str]:
    return {("shop", "web"): ["198.19.201.7"], ("shop", "db"): ["198.18.9.1", "198.18.9.2"]}.get((namespace, service), [])


# -- DNS -----------------------------------------------------------------------------------------

def test_a_service_name_resolves_to_its_cluster_ip():
    reply = _query("web.shop.svc.cluster.local")
    assert_that([str(rr.rdata) for rr in reply.rr], equal_to(["198.19.201.7"]), "A records of web.shop")
    assert_that(reply.header.rcode, equal_to(RCODE.NOERROR))


def test_a_headless_service_name_resolves_to_every_ready_pod():
    assert_that([str(rr.rdata) for rr in _query("db.shop.svc.cluster.local.").rr],
                equal_to(["198.18.9.1", "198.18.9.2"]), "a headless Service answers with its pods")


@pytest.mark.parametrize("name", ["web.other.svc.cluster.local", "example.com", "web.shop.svc.cluster.local.example.com",
                                  "web", "shop.svc.cluster.local"])
def test_every_other_name_is_nxdomain_so_no_lookup_leaves_the_node(name):
    reply = _query(name)
    assert_that(reply.header.rcode, equal_to(RCODE.NXDOMAIN), f"{name} must not resolve")
    assert_that(reply.rr, is_(empty()))


def test_a_known_name_asked_for_ipv6_gets_an_empty_answer_not_nxdomain():
    """glibc asks A and AAAA together; NXDOMAIN for AAAA would make it drop the A answer."""
    reply = _query("web.shop.svc.cluster.local", "AAAA")
    assert_that((reply.header.rcode, reply.rr), equal_to((RCODE.NOERROR, [])))


def test_a_packet_that_is_not_a_query_is_dropped():
    assert_that(answer(b"\x00\x01garbage", _lookup), equal_to(None))


def test_pods_resolve_through_the_node_only_with_the_kubelet_search_path():
    files = network.resolver_files("shop")
    assert_that(files["resolv.conf"], contains_string(f"nameserver {network.NODE_IP}\n"))
    assert_that(files["resolv.conf"], contains_string("search shop.svc.cluster.local svc.cluster.local cluster.local"))
    assert_that(files["resolv.conf"].count("nameserver"), equal_to(1), "one resolver: the node's")
    assert_that(files["nsswitch.conf"], equal_to("hosts: files dns\n"), "cluster.local must not go to mDNS")


# -- endpoints ------------------------------------------------------------------------------------

def test_a_service_sends_connections_round_robin_to_its_ready_pods_at_the_named_target_port():
    node = FakeNode({"shop": [(_pod("web-a", {"app": "web"}), "198.18.9.1"),
                              (_pod("web-b", {"app": "web", "tier": "x"}, port=8081), "198.18.9.2"),
                              (_pod("other", {"app": "db"}), "198.18.9.3")]})
    table = ServiceTable(node, print)
    service = Service.from_object(_service())
    picked = {table.endpoint(service, "http") for _ in range(4)}
    assert_that(picked, equal_to({("198.18.9.1", 8080), ("198.18.9.2", 8081)}), "both ready web pods, nothing else")


def test_a_service_without_ready_pods_has_no_endpoint():
    table = ServiceTable(FakeNode({}), print)
    assert_that(table.endpoint(Service.from_object(_service()), 80), equal_to(None))


def test_target_ports_by_number_and_by_name():
    pod = _pod("p", {}, port=9400)
    assert_that([container_port(pod, 9400), container_port(pod, "9401"), container_port(pod, "http"),
                 container_port(pod, "nope")], equal_to([9400, 9401, 9400, None]))


def test_only_services_with_a_selector_and_a_cluster_ip_are_forwarded():
    assert Service.from_object(_service()).forwarded()
    assert not Service.from_object(_service(cluster_ip=None)).forwarded(), "headless: DNS only"
    assert not Service.from_object(_service(selector={})).forwarded(), "no selector: no endpoints to compute"
    kubernetes = _service("kubernetes", "default", str(network.KUBERNETES_SERVICE_IP), {})
    assert not Service.from_object(kubernetes).forwarded(), "the kubernetes Service has a relay of its own"


# -- end to end in network namespaces -----------------------------------------------------------------

SERVE = ("import socket, sys; s = socket.create_server(('0.0.0.0', 8080)); print('up', flush=True)\n"
         "while True:\n    c, _ = s.accept(); c.sendall(sys.argv[1].encode()); c.close()")


@needs_netns
def test_a_pod_reaches_a_service_by_its_cluster_ip_and_the_address_goes_with_the_service(node_network):
    server = network.create_pod_network(str(uuid.uuid4()), "198.18.203.7", "shop")
    client = network.create_pod_network(str(uuid.uuid4()), "198.18.203.8", "shop")
    program = subprocess.Popen(["ip", "netns", "exec", server.netns, sys.executable, "-c", SERVE, "hello via the service"],
                               stdout=subprocess.PIPE, text=True)
    table = ServiceTable(FakeNode({"shop": [(_pod("web-a", {"app": "web"}), server.address)]}), print)
    cluster_ip = "198.19.203.7"
    try:
        assert program.stdout.readline().strip() == "up"
        table.handle("ADDED", _service(cluster_ip=cluster_ip))
        fetch = (f"import socket; c = socket.create_connection(('{cluster_ip}', 80), timeout=5); "
                 "print(c.recv(100).decode())")
        reached = subprocess.run(["ip", "netns", "exec", client.netns, sys.executable, "-c", fetch],
                                 capture_output=True, text=True, timeout=30)
        assert_that(reached.stdout.strip(), equal_to("hello via the service"), reached.stderr)
        table.handle("DELETED", _service(cluster_ip=cluster_ip))
        addresses = subprocess.run(["ip", "-o", "addr", "show", "dev", network.BRIDGE], capture_output=True, text=True)
        assert_that(addresses.stdout, is_(contains_string(f"{network.NODE_IP}/")))
        assert f" {cluster_ip}/32 " not in addresses.stdout, "a deleted Service's ClusterIP stayed on the bridge"
        with pytest.raises(OSError):
            socket.create_connection((cluster_ip, 80), timeout=2)
    finally:
        table.close()
        program.kill()
        program.wait()
        for pod in (server, client):
            network.delete_pod_network(pod.netns)
    assert not (network.NETNS_ETC / client.netns).exists(), "the pod's resolver files outlived it"


@needs_netns
def test_a_pod_namespace_carries_its_resolver_files_for_its_processes(node_network):
    pod = network.create_pod_network(str(uuid.uuid4()), "198.18.203.9", "shop")
    try:
        seen = subprocess.run(["ip", "netns", "exec", pod.netns, "cat", "/etc/resolv.conf", "/etc/nsswitch.conf"],
                              capture_output=True, text=True, timeout=30)
    finally:
        network.delete_pod_network(pod.netns)
    assert_that(seen.stdout, equal_to("".join(network.resolver_files("shop").values())))
