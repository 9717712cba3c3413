"""mock-vllm-metrics: underscore metric names, /json for the external source, /set."""


import pytest

from support.manifests import load_program

program = load_program("metrics_server.py")


@pytest.fixture
def serve(serve_program):
    """start(env) -> an httpx client on a fresh server at 127.0.0.1:<free port>."""
    return lambda env=None: serve_program(program, env=env or {})


def test_metrics_use_the_underscore_names_and_start_at_zero(serve):
    text = serve().get("/metrics").text
    assert "# TYPE vllm_gpu_cache_usage_perc gauge" in text
    assert 'vllm_gpu_cache_usage_perc{model_name="mock-model"} 0.0' in text
    assert 'vllm_num_requests_running{model_name="mock-model"} 0' in text
    assert 'vllm_num_requests_waiting{model_name="mock-model"} 0' in text
    assert "vllm:" not in text


def test_json_serves_the_colon_names_and_ignores_the_external_sources_query(serve):
    client = serve({"INITIAL_GPU_CACHE": "33"})
    response = client.get("/json", params={"namespace": "ns", "metric": "x", "label_app": "a"})
    assert response.status_code == 200
    assert response.json() == {"vllm:gpu_cache_usage_perc": 33.0, "vllm:num_requests_running": 0,
                               "vllm:num_requests_waiting": 0}


def test_set_then_metrics_and_json(serve):
    client = serve()
    assert client.get("/set?gpu_cache=80&requests_running=10&requests_waiting=5").text == "OK"
    assert 'vllm_gpu_cache_usage_perc{model_name="mock-model"} 80.0' in client.get("/metrics").text
    assert client.get("/json").json()["vllm:num_requests_waiting"] == 5


@pytest.mark.parametrize("query, named", [
    ("", "gpu_cache"), ("gpu_cache=100.5", "gpu_cache"), ("requests_waiting=-3", "requests_waiting"),
    ("gpu_cache=10&requests_running=1e3", "requests_running"), ("model=x", "model"),
])
def test_bad_input_is_rejected_and_leaves_the_state_unchanged(serve, query, named):
    client = serve()
    before = client.get("/status").json()
    response = client.get(f"/set?{query}")
    assert response.status_code == 400 and named in response.text
    assert client.get("/status").json() == before


def test_bad_environment_fails_create_server():
    with pytest.raises(ValueError, match="INITIAL_GPU_CACHE"):
        program.create_server("127.0.0.1", 0, env={"INITIAL_GPU_CACHE": "lots"})


def test_unknown_paths_are_404_and_health_is_ok(serve):
    client = serve()
    assert client.get("/set_pattern").status_code == 404
    assert [client.get(p).text for p in ("/health", "/ready")] == ["OK", "OK"]


def test_usage_reports_the_cpu_and_memory_set_and_json_leaves_them_out(serve):
    client = serve({"INITIAL_CPU": "120m", "INITIAL_MEMORY": "1Ki"})
    assert client.get("/usage").json() == {"cpu": "120m", "memory": "1024"}
    assert client.get("/set", params={"cpu": "300", "memory": "64Mi"}).status_code == 200
    assert client.get("/usage").json() == {"cpu": "300m", "memory": str(64 << 20)}
    assert not {"cpu", "memory"} & set(client.get("/json").json())


def test_a_bad_memory_value_is_refused_and_changes_nothing(serve):
    client = serve({"INITIAL_MEMORY": "5"})
    refused = client.get("/set", params={"memory": "64MB", "gpu_cache": "10"})
    assert refused.status_code == 400 and "memory" in refused.text and "64Mi" in refused.text
    assert client.get("/usage").json()["memory"] == "5"


class _Waits:
    """A stop event that lets the holder run `turns` checks, calling `between` after each."""

    def __init__(self, turns: int, between):
        self.turns, self.between = turns, between

    def is_set(self):
        return self.turns <= 0

    def wait(self, seconds):
        self.turns -= 1
        self.between()


def test_a_standalone_program_holds_the_memory_it_declares():
    """On a real cluster the metrics-server measures the memory a test set: the program keeps that much."""
    app, sizes = program.MetricsServer(0, 0, 0, memory=4096), []
    change = iter([lambda: app.set("memory=8192"), lambda: None, lambda: None])
    program.mockhttp.hold_declared_memory(app, _Waits(3, lambda: next(change)()), 0.01,
                                          lambda size: sizes.append(size) or bytearray(size))
    assert sizes == [0, 4096, 8192], "allocated what was declared, again only when it changed"
