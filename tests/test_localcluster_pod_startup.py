"""A pod is Running when its containers start, before its server listens (as a kubelet reports it):
until then the API server's pod proxy answers 503 as kube-apiserver does, the pod is not Ready, and
its port is held for it, so no other process can take the address between choosing it and binding."""

from __future__ import annotations

import errno
import json
import socket

import pytest
from kubernetes.client import ApiException

from support import manifests
from support.clock import VirtualClock
from support.localcluster.node import containers
from support.localcluster.node.addresses import AddressPool


@pytest.fixture
def ns(fresh_namespace):
    return fresh_namespace("startup")


def sidecar_deployment(core, apps, ns: str, probe: bool = True) -> None:
    """The suite's vLLM metrics sidecar program, run as the suite runs it (a python program from a ConfigMap)."""
    configmap = manifests.program_configmap("vllm_sidecar.py", name="program")
    core.create_namespaced_config_map(ns, {**configmap, "metadata": {"name": "program"}})
    container = {"name": "sidecar", "image": "python:3.11-slim", "command": ["python", "/app/vllm_sidecar.py"],
                 "ports": [{"containerPort": 9000}], "volumeMounts": [{"name": "program", "mountPath": "/app"}]}
    if probe:
        container["readinessProbe"] = {"httpGet": {"path": "/metrics", "port": 9000}}
    apps.create_namespaced_deployment(ns, {"metadata": {"name": "sidecar"}, "spec": {
        "replicas": 1, "selector": {"matchLabels": {"app": "sidecar"}},
        "template": {"metadata": {"labels": {"app": "sidecar"}},
                     "spec": {"containers": [container], "volumes": [{"name": "program",
                                                                      "configMap": {"name": "program"}}]}}}})


def proxy_status(core, ns: str, pod: str) -> tuple[int, str]:
    try:
        core.connect_get_namespaced_pod_proxy_with_path(f"{pod}:9000", ns, "metrics")
        return 200, ""
    except ApiException as error:
        return error.status, json.loads(error.body)["message"]


def test_the_pod_proxy_answers_503_until_the_running_pods_server_listens(cluster, core, apps, ns):
    sidecar_deployment(core, apps, ns)
    cluster.clock.advance(cluster.start_delay)
    [pod] = core.list_namespaced_pod(ns).items
    assert pod.status.phase == "Running" and pod.status.container_statuses[0].state.running is not None
    code, message = proxy_status(core, ns, pod.metadata.name)
    assert code == 503
    assert message == f"error trying to reach service: dial tcp {pod.status.pod_ip}:9000: connect: connection refused"
    assert not [c for c in pod.status.conditions if c.type == "Ready" and c.status == "True"]

    cluster.clock.advance(cluster.listen_delay)
    assert proxy_status(core, ns, pod.metadata.name) == (200, "")
    pod = core.read_namespaced_pod(pod.metadata.name, ns)
    assert [c.status for c in pod.status.conditions if c.type == "Ready"] == ["False"], "Ready comes with the probe"
    cluster.clock.advance(cluster.ready_delay)
    pod = core.read_namespaced_pod(pod.metadata.name, ns)
    assert [c.status for c in pod.status.conditions if c.type == "Ready"] == ["True"]


def test_a_service_has_no_endpoint_until_a_pod_is_ready(cluster, core, apps, ns):
    sidecar_deployment(core, apps, ns)
    core.create_namespaced_service(ns, {"metadata": {"name": "sidecar"}, "spec": {
        "selector": {"app": "sidecar"}, "ports": [{"port": 80, "targetPort": 9000}]}})
    cluster.clock.advance(cluster.start_delay + cluster.listen_delay)
    with pytest.raises(ApiException) as unready:
        core.connect_get_namespaced_service_proxy_with_path("sidecar:80", ns, "metrics")
    assert unready.value.status == 503
    assert json.loads(unready.value.body)["message"] == 'no endpoints available for service "sidecar"'
    cluster.clock.advance(cluster.ready_delay)
    assert "vllm:" in core.connect_get_namespaced_service_proxy_with_path("sidecar:80", ns, "metrics")


# -- the address and its ports, held for the pod --------------------------------------------------

def bind(ip: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers (http.server) bind
    try:
        sock.bind((ip, port))
    except OSError:
        sock.close()
        raise
    return sock


def test_a_pods_ports_are_held_until_its_container_binds_them():
    reservation = AddressPool().reserve([8000, 9000])
    with pytest.raises(OSError) as taken:
        bind(reservation.ip, 8000)
    assert taken.value.errno == errno.EADDRINUSE, "no other process can take the port meanwhile"
    with pytest.raises(ConnectionRefusedError):  # held, not listening: a connection is refused
        socket.create_connection((reservation.ip, 8000), timeout=1).close()
    reservation.release(8000)
    bind(reservation.ip, 8000).close()
    reservation.close()
    bind(reservation.ip, 9000).close()


def test_an_address_whose_port_another_process_holds_is_skipped():
    pool = AddressPool()
    squatter_ip = f"127.{pool.block}.0.1"
    squatter = bind(squatter_ip, 8000)
    squatter.listen()
    try:
        reservation = pool.reserve([8000])
        assert reservation.ip == f"127.{pool.block}.0.2"
        reservation.close()
    finally:
        squatter.close()


PROGRAM = '''
import http.server

def create_server(host, port, env=None, clock=None):
    return http.server.ThreadingHTTPServer((host, port), http.server.BaseHTTPRequestHandler)
'''


def test_a_server_whose_address_is_in_use_binds_again_later():
    clock, lines = VirtualClock(), []
    ip = f"127.{AddressPool().block}.7.7"
    ctx = containers.ContainerContext(
        pod={"metadata": {"name": "p"}}, container={"name": "c", "command": ["python", "/app/server.py"]},
        ip=ip, env={}, ports=[8080], files={"/app/server.py": PROGRAM}, log=lines.append, clock=clock,
        listen_delay=1.0, later=clock.call_later)
    squatter = bind(ip, 8080)
    squatter.listen()
    running = containers.run_python_program(ctx)
    try:
        clock.advance(1.0)
        assert any(line.startswith("address in use, binding again in 1 s") for line in lines), lines
        squatter.close()
        clock.advance(1.0)
        assert lines[-1] == f"serving /app/server.py on {ip}:8080"
        socket.create_connection((ip, 8080), timeout=1).close()
    finally:
        running.stop()
        squatter.close()
