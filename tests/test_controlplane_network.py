"""The node agent's network: proxyable pod addresses inside network namespaces of our own (issue 7, audit item 4)."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import uuid

import pytest

from hamcrest import assert_that, contains_string, has_item, is_

from support.clock import RealClock
from support.controlplane import network, plane, processes
from support.waiting import Poller
from netns_fixtures import needs_netns, node_network  # noqa: F401  (fixture)


def test_kube_apiserver_would_refuse_loopback_and_link_local_pod_addresses():
    assert not network.is_proxyable("127.0.0.1")
    assert not network.is_proxyable("127.12.0.9")
    assert not network.is_proxyable("169.254.10.1")
    assert not network.is_proxyable("0.0.0.0")
    assert network.is_proxyable("198.18.3.4")


@pytest.mark.parametrize("address", ["127.0.0.5", "169.254.0.7", "192.0.2.9", "198.19.0.5"])
def test_a_pod_address_outside_the_pod_range_is_refused(address):
    with pytest.raises(network.NetworkError, match="global unicast address in 198.18.0.0/16"):
        network.create_pod_network("refused", address)


def test_the_pool_hands_out_distinct_addresses_above_the_nodes_own_block_and_reuses_freed_ones():
    pool = network.AddressPool()
    first, second = pool.allocate(), pool.allocate()
    assert first != second
    for address in (first, second):
        assert ipaddress.ip_address(address) in network.POD_CIDR
        assert ipaddress.ip_address(address) not in ipaddress.ip_network("198.18.0.0/24")
    pool.claim("198.18.1.2")
    assert pool.allocate() not in ("198.18.1.2", first, second)
    pool.release(first)
    assert first not in pool._used  # noqa: SLF001 - the pool's bookkeeping is what is tested


@needs_netns
def test_a_pod_namespace_is_reachable_at_its_address_and_removed_without_a_trace(node_network):
    uid = str(uuid.uuid4())
    pod = network.create_pod_network(uid, "198.18.200.7")
    try:
        assert pod.netns in network.pod_namespaces()
        server = subprocess.Popen(
            ["ip", "netns", "exec", pod.netns, "python3", "-c",
             "import socket; s = socket.create_server(('0.0.0.0', 8080)); print('up', flush=True); "
             "c, _ = s.accept(); c.sendall(b'hello from the pod'); c.close()"],
            stdout=subprocess.PIPE, text=True)
        assert server.stdout.readline().strip() == "up"
        with socket.create_connection((pod.address, 8080), timeout=5) as connection:
            assert connection.recv(100) == b"hello from the pod"
        server.wait(timeout=5)
    finally:
        network.delete_pod_network(pod.netns)
    assert pod.netns not in network.pod_namespaces()
    assert subprocess.run(["ip", "link", "show", pod.host_interface], capture_output=True).returncode != 0


@needs_netns
def test_service_addresses_never_leave_the_machine(node_network):
    """No kube-proxy: a Service address other than the API's is unreachable here, not routed out."""
    with pytest.raises(OSError) as refused:
        socket.create_connection(("198.19.7.7", 80), timeout=2)
    assert not isinstance(refused.value, TimeoutError), "a Service address was routed off the machine"
    route = subprocess.run(["ip", "route", "get", "198.19.7.7"], capture_output=True, text=True)
    assert "No route to host" in route.stderr, route.stdout + route.stderr


@needs_netns
def test_taking_the_node_network_down_kills_what_still_runs_in_a_pod_namespace():
    """What a killed agent leaves behind must not outlive `make controlplane-down`."""
    if network.bridge_exists():
        pytest.skip("a control plane is running here: its network is not this test's to take down")
    network.set_up_bridge()
    pod = network.create_pod_network(str(uuid.uuid4()), "198.18.200.9")
    orphan = subprocess.Popen(["ip", "netns", "exec", pod.netns, "sleep", "300"], start_new_session=True)
    try:
        Poller(RealClock(), interval=0.05).eventually(
            lambda: network.ip("netns", "pids", pod.netns).stdout.split(), has_item(str(orphan.pid)), within=10,
            what="the process to be inside the pod's namespace")
        network.tear_down_bridge()
        orphan.wait(timeout=10)
    finally:
        orphan.kill()
        network.tear_down_bridge()
    assert pod.netns not in network.pod_namespaces()


@needs_netns
def test_a_control_plane_never_takes_down_the_node_network_of_another_that_runs(tmp_path, monkeypatch):
    """One node network per machine: a second `up` is refused and its `down` leaves the running one's."""
    if network.bridge_exists():
        pytest.skip("a control plane is running here: its network is not this test's to claim")
    running = tmp_path / "running"
    running.mkdir()
    stand_in = subprocess.Popen(["sleep", "300"])  # the running control plane's processes
    plane.State(running, processes=[processes.Process("etcd", stand_in.pid, "sleep", "")]).save()
    network.set_up_bridge()
    network.claim_bridge(str(running))
    monkeypatch.setenv("BUDSPEC_CONTROLPLANE_DIR", str(tmp_path / "second"))
    said = []
    try:
        with pytest.raises(plane.ControlPlaneError, match=f"another control plane is running on this machine, from {running}"):
            plane.up(log=said.append)
        plane.down(log=said.append)
        assert_that(network.bridge_exists(), is_(True), "the node network after a second control plane's down")
        assert_that(said, has_item(contains_string(f"it is the control plane's running from {running}")),
                    "what the second control plane's down said")
        stand_in.kill()
        stand_in.wait()
        plane.down(log=said.append)
        assert_that(network.bridge_exists(), is_(False), "the node network once its owner no longer runs")
    finally:
        stand_in.kill()
        network.tear_down_bridge()
