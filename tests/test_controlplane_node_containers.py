"""The node agent's containers: processes in a pod's network namespace, logged, stopped gracefully;
its probes; how it runs each image (issue 7 item 2)."""

from __future__ import annotations

import http.server
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hamcrest import assert_that, contains_string, equal_to, greater_than, less_than

from support import manifests
from support.controlplane import network
from support.controlplane.node import images, probes
from support.controlplane.node.supervisor import ContainerProcess, read_log
from support.localcluster.node import containers as runner
from netns_fixtures import needs_netns, node_network  # noqa: F401  (fixture)


# -- images ------------------------------------------------------------------------------------

def test_the_controller_image_runs_the_reference_operator_with_the_containers_args():
    how = images.resolve("ghcr.io/budecosystem/budaiscaler:v0.3", {"args": ["--model=as-built"]})
    assert_that(how.command[1:], equal_to(["-m", "support.reference.operator", "--model=as-built"]))


@pytest.mark.parametrize("image", ["python:3.11-slim", "docker.io/library/python:3.12",
                                   "ghcr.io/llm-d/llm-d-inference-sim:v0.6.1"])
def test_programs_and_emulated_images_run_through_the_embedded_container_runner(image):
    assert images.resolve(image, {}).command is None


def test_an_image_the_node_cannot_run_is_an_image_pull_error_naming_what_it_can_run():
    with pytest.raises(runner.ContainerError) as error:
        images.resolve("nginx:1.27", {})
    assert error.value.reason == "ErrImagePull"
    assert_that(error.value.message, contains_string("python:*"))
    assert_that(error.value.message, contains_string("ghcr.io/llm-d/llm-d-inference-sim"))


# -- logs --------------------------------------------------------------------------------------

def test_a_log_is_served_with_or_without_timestamps_tailed_and_since(tmp_path):
    old = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    new = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    log = tmp_path / "c.log"
    log.write_text(f"{old} first line\n{new} second line\n{new} third line\n")
    assert read_log(log) == "first line\nsecond line\nthird line\n"
    assert read_log(log, tail_lines=1) == "third line\n"
    assert read_log(log, tail_lines=1, timestamps=True) == f"{new} third line\n"
    assert read_log(log, since=datetime.now(timezone.utc) - timedelta(minutes=5)) == "second line\nthird line\n"
    assert read_log(log, limit_bytes=5) == "first"
    assert read_log(tmp_path / "missing.log") == ""


# -- probes ------------------------------------------------------------------------------------

class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200 if self.path == "/ready" else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_http_and_tcp_probes_judge_the_answer(local_server):
    container = {"ports": [{"name": "http", "containerPort": local_server}]}
    ok, _ = probes.check({"httpGet": {"path": "/ready", "port": "http"}}, "127.0.0.1", container, 2)
    bad, message = probes.check({"httpGet": {"path": "/other", "port": local_server}}, "127.0.0.1", container, 2)
    tcp, _ = probes.check({"tcpSocket": {"port": local_server}}, "127.0.0.1", container, 2)
    exec_, why = probes.check({"exec": {"command": ["true"]}}, "127.0.0.1", container, 2)
    assert (ok, bad, tcp, exec_) == (True, False, True, False)
    assert_that(message, contains_string("503"))
    assert_that(why, contains_string("exec probes cannot run"))


def test_a_readiness_probe_reports_ready_after_its_success_threshold(local_server):
    seen = []
    changed = threading.Event()
    spec = probes.ProbeSpec("readiness", {"httpGet": {"path": "/ready", "port": local_server}}, 0, 0.05, 1, 2, 3)
    prober = probes.Prober(spec, "127.0.0.1", {}, lambda healthy, message: (seen.append(healthy), changed.set()))
    prober.start()
    try:
        assert changed.wait(5), "the probe never reported"
    finally:
        prober.stop()
    assert seen[0] is True


# -- container processes ----------------------------------------------------------------------------

@pytest.fixture
def pod_network(node_network):  # noqa: F811
    uid = str(uuid.uuid4())
    pod = network.create_pod_network(uid, "198.18.201.9")
    yield pod
    network.delete_pod_network(pod.netns)


def _sidecar_spec(address: str) -> dict:
    objects = manifests.load_manifests("simulator", namespace="t")
    configmap, deployment = objects[0], objects[1]
    container = deployment["spec"]["template"]["spec"]["containers"][1]
    pod = {"metadata": {"name": "sim-1", "namespace": "t", "uid": "u1"}, "spec": deployment["spec"]["template"]["spec"]}
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}  # an optional ConfigMap key: absent
    return {"pod": pod, "container": container, "ip": address, "env": env,
            "ports": [9000], "files": {f"/app/{k}": v for k, v in configmap["data"].items()}, "exec": None}


def _wait_for(condition, within: float, what: str):
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@needs_netns
def test_a_mock_program_serves_at_the_pod_address_logs_and_stops_on_sigterm(pod_network, tmp_path):
    exits = []
    process = ContainerProcess("metrics-sidecar", pod_network.netns, _sidecar_spec(pod_network.address),
                               tmp_path / "sidecar.log", lambda p, result: exits.append(result))
    process.start()
    try:
        _wait_for(lambda: probes.check({"httpGet": {"path": "/ready", "port": 9000}}, pod_network.address, {}, 1)[0],
                  60, "the sidecar to answer at the pod address")
        started = time.monotonic()
        process.stop(grace=10)
        assert_that(time.monotonic() - started, less_than(5.0))
    finally:
        process.stop(grace=0)
    _wait_for(lambda: exits, 5, "the exit to be reported")
    assert_that(exits[0].code, equal_to(0))
    log = read_log(tmp_path / "sidecar.log")
    assert_that(log, contains_string(f"serving /app/vllm_sidecar.py on {pod_network.address}:9000"))
    assert_that(log, contains_string("stopping on SIGTERM"))


@needs_netns
def test_a_container_that_ignores_sigterm_is_killed_when_the_grace_period_ends(pod_network, tmp_path):
    exits = []
    spec = {"pod": {}, "container": {"name": "stubborn"}, "ip": pod_network.address, "env": {}, "ports": [],
            "files": {}, "exec": ["sh", "-c", "trap '' TERM; echo ignoring TERM; while :; do sleep 1; done"]}
    process = ContainerProcess("stubborn", pod_network.netns, spec, tmp_path / "stubborn.log",
                               lambda p, result: exits.append(result))
    process.start()
    _wait_for(lambda: "ignoring TERM" in read_log(tmp_path / "stubborn.log"), 30, "the container to start")
    started = time.monotonic()
    process.stop(grace=1.0)
    waited = time.monotonic() - started
    assert_that(waited, greater_than(0.9))
    assert_that(waited, less_than(5.0))
    _wait_for(lambda: exits, 5, "the exit to be reported")
    assert_that(exits[0].code, equal_to(137))  # 128 + SIGKILL, as the kubelet reports it
