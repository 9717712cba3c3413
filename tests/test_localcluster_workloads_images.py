"""Emulated images (node/images.py), the image registry and container preparation (node/containers.py, podenv.py)."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from support.clock import VirtualClock
from support.localcluster import wire
from support.localcluster.apiserver.proxy import Proxy
from support.localcluster.node import containers, podenv
from support.localcluster.node.images import parse_sim_args

NS = "sim"
FAKE = '{"running-requests": 5, "waiting-requests": 10, "kv-cache-usage": 0.85}'


@pytest.fixture
def cluster():
    clock = VirtualClock()
    parts = wire(clock, start_delay=1.0, ready_delay=3.0)
    parts.start()
    yield SimpleNamespace(store=parts.store, clock=clock, parts=parts, proxy=Proxy(parts.store, parts.node))
    parts.stop()


def simulator(args: list[str]) -> dict:
    """The old suite's simulator container, as mocks/simulator.yaml declares it."""
    sim = {"name": "simulator", "image": "ghcr.io/llm-d/llm-d-inference-sim:v0.6.1", "args": args,
           "ports": [{"name": "http", "containerPort": 8000}],
           "readinessProbe": {"httpGet": {"path": "/ready", "port": 8000}},
           "livenessProbe": {"httpGet": {"path": "/health", "port": 8000}}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "llm-inference-sim", "namespace": NS},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "llm-inference-sim"}},
                     "template": {"metadata": {"labels": {"app": "llm-inference-sim"}}, "spec": {"containers": [sim]}}}}


def request(ip: str, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection(ip, 8000, timeout=2)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def ready_sim_ip(cluster, args: list[str]) -> str:
    cluster.store.create("Deployment", simulator(args))
    cluster.clock.advance(4.0)
    pod = cluster.store.list("Pod", NS)[0]
    assert any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"]["conditions"])
    return pod["status"]["podIP"]


def test_the_simulator_serves_its_fake_metrics_in_prometheus_text(cluster):
    ip = ready_sim_ip(cluster, ["--port=8000", "--model=Qwen/Qwen2.5-1.5B-Instruct", f"--fake-metrics={FAKE}"])
    status, text = request(ip, "GET", "/metrics")
    assert status == 200
    assert 'vllm:gpu_cache_usage_perc{model_name="Qwen/Qwen2.5-1.5B-Instruct"} 0.85' in text
    assert 'vllm:num_requests_running{model_name="Qwen/Qwen2.5-1.5B-Instruct"} 5' in text
    assert 'vllm:num_requests_waiting{model_name="Qwen/Qwen2.5-1.5B-Instruct"} 10' in text
    assert "# TYPE vllm:gpu_cache_usage_perc gauge" in text


def test_the_simulator_answers_health_models_and_chat_completions(cluster):
    ip = ready_sim_ip(cluster, ["--port", "8000", "--model", "m1"])
    assert request(ip, "GET", "/health")[0] == 200 and request(ip, "GET", "/ready")[0] == 200
    assert json.loads(request(ip, "GET", "/v1/models")[1])["data"][0]["id"] == "m1"
    status, body = request(ip, "POST", "/v1/chat/completions",
                           {"model": "m1", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10})
    answer = json.loads(body)
    assert status == 200 and answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"]["role"] == "assistant"
    assert request(ip, "POST", "/v1/chat/completions", {"model": "other", "messages": []})[0] == 404
    assert request(ip, "GET", "/nothing")[0] == 404


def test_the_simulator_without_fake_metrics_reports_zero_load(cluster):
    ip = ready_sim_ip(cluster, ["--model=m"])
    assert 'vllm:num_requests_waiting{model_name="m"} 0' in request(ip, "GET", "/metrics")[1]


@pytest.mark.parametrize("args", [
    ["--fake-metrics", FAKE],
    [f"--fake-metrics={FAKE}"],
    ['--fake-metrics={"running_requests": 5, "waiting": 10, "kv_cache_usage": 0.85, "loras": []}'],
])
def test_fake_metrics_are_parsed_tolerantly(args):
    assert parse_sim_args(args).fake == {"running": 5.0, "waiting": 10.0, "kv_cache": 0.85}


def test_bad_fake_metrics_are_ignored():
    config = parse_sim_args(["--fake-metrics", "{not json", "--port=9001", "--unknown"])
    assert (config.fake, config.port) == ({}, 9001)


# -- preparing a container like the kubelet ------------------------------------------

def pod_with(container: dict, volumes: list | None = None) -> dict:
    return {"metadata": {"name": "p", "namespace": NS, "uid": "u1", "labels": {"app": "x"}},
            "spec": {"containers": [container], "volumes": volumes or []}}


def prepare(cluster, container: dict, volumes: list | None = None) -> containers.ContainerContext:
    return podenv.prepare(cluster.store, pod_with(container, volumes), container, "127.1.0.9", lambda line: None,
                          cluster.clock)


def test_env_resolves_values_field_refs_and_configmap_keys(cluster):
    cluster.store.create("ConfigMap", {"metadata": {"name": "settings", "namespace": NS}, "data": {"gpu": "85"}})
    ctx = prepare(cluster, {"name": "c", "env": [
        {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
        {"name": "GPU", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "gpu"}}},
        {"name": "URL", "value": "http://$(IP):8000"}]})
    assert {k: ctx.env[k] for k in ("NAME", "NAMESPACE", "IP", "APP", "GPU", "URL")} == {
        "NAME": "p", "NAMESPACE": NS, "IP": "127.1.0.9", "APP": "x", "GPU": "85", "URL": "http://127.1.0.9:8000"}


def test_a_missing_configmap_key_is_a_config_error(cluster):
    cluster.store.create("ConfigMap", {"metadata": {"name": "settings", "namespace": NS}, "data": {}})
    env = [{"name": "GPU", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "gpu"}}}]
    with pytest.raises(containers.ContainerError) as error:
        prepare(cluster, {"name": "c", "env": env})
    assert error.value.reason == "CreateContainerConfigError"


def test_configmap_volumes_honour_items_and_sub_paths(cluster):
    cluster.store.create("ConfigMap", {"metadata": {"name": "code", "namespace": NS},
                                       "data": {"server.py": "A", "other.txt": "B"}})
    volumes = [{"name": "v", "configMap": {"name": "code", "items": [{"key": "server.py", "path": "main.py"}]}},
               {"name": "w", "configMap": {"name": "code"}}]
    mounts = [{"name": "v", "mountPath": "/app"}, {"name": "w", "mountPath": "/etc/x.txt", "subPath": "other.txt"}]
    assert prepare(cluster, {"name": "c", "volumeMounts": mounts}, volumes).files == {"/app/main.py": "A",
                                                                                       "/etc/x.txt": "B"}


@pytest.mark.parametrize("image, python", [("python:3.11-slim", True), ("docker.io/library/python:3.12", True),
                                           ("python", True), ("pythonista:1", False), ("curlimages/curl", False)])
def test_python_images_are_recognised(image, python):
    assert containers.is_python_image(image) is python


def test_a_python_container_without_a_mounted_program_cannot_run(cluster):
    ctx = prepare(cluster, {"name": "c", "image": "python:3.11", "command": ["python3", "-c", "print(1)"]})
    with pytest.raises(containers.ContainerError) as error:
        containers.ImageRegistry().run(ctx)
    assert error.value.reason == "RunContainerError"


def test_the_longest_registered_prefix_wins():
    registry, marker = containers.ImageRegistry(), object()
    registry.register("example.test/a", lambda ctx: None)
    registry.register("example.test/a/b", lambda ctx: marker)
    assert registry.runner_for("example.test/a/b:1")(None) is marker
    assert registry.runner_for("example.test/other") is None
    assert registry.names() == ["example.test/a", "example.test/a/b"]


def test_the_suites_simulator_manifest_runs_both_containers(cluster):
    """mocks/simulator.yaml as shipped: the emulated simulator plus the sidecar program from its ConfigMap."""
    root = Path(__file__).resolve().parents[1] / "mocks"
    for doc in yaml.safe_load_all((root / "simulator.yaml").read_text()):
        doc["metadata"]["namespace"] = NS
        if doc["kind"] == "ConfigMap":
            doc["data"] = {name: (root / "servers" / name).read_text() for name in ("vllm_sidecar.py", "mockhttp.py")}
        cluster.store.create(doc["kind"], doc)
    cluster.clock.advance(4.0)
    assert cluster.store.get("Deployment", NS, "llm-inference-sim")["status"].get("readyReplicas") == 1
    # the simulator reports the requests it serves (none here); the sidecar what it was told (85 % at start)
    for port, value in (("http", "0"), ("metrics", "85")):
        ip, number = cluster.proxy.service_endpoint(NS, "llm-inference-sim", port)
        connection = http.client.HTTPConnection(ip, number, timeout=2)
        connection.request("GET", "/metrics")
        assert "vllm:gpu_cache_usage_perc{model_name=" in (text := connection.getresponse().read().decode())
        assert any(line.split()[-1] in (value, value + ".0") for line in text.splitlines()
                   if line.startswith("vllm:gpu_cache_usage_perc"))
        connection.close()
