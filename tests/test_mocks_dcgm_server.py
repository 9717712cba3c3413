"""mock-dcgm-exporter: DCGM gauges in the forms BudAIScaler's GPU step parses, /set, several GPUs."""

import re

import pytest

from support.manifests import load_program
from support.reference.budscaler import GPUMetrics
from support.reference.gpu import gpu_metrics, reading_from_response
from support.reference.model import AS_BUILT, CONTRACT

program = load_program("dcgm_server.py")
LABELS = '{gpu="0",UUID="GPU-abc123",modelName="NVIDIA A100"}'


@pytest.fixture
def serve(serve_program):
    """start(env) -> an httpx client on a fresh exporter at 127.0.0.1:<free port>."""
    return lambda env=None: serve_program(program, env=env or {})


def read(client, model=CONTRACT):
    """What the reference model's GPU step makes of the exporter's answer."""
    response = client.get("/metrics")
    return gpu_metrics(reading_from_response(response.status_code, response.text), model)


def test_metrics_serve_the_initial_gauges(serve):
    lines = serve().get("/metrics").text.splitlines()
    assert f"DCGM_FI_DEV_GPU_UTIL{LABELS} 50" in lines
    assert f"DCGM_FI_DEV_FB_USED{LABELS} 20000" in lines
    assert f"DCGM_FI_DEV_FB_TOTAL{LABELS} 40000" in lines
    assert not any(line.startswith("DCGM_FI_DEV_FB_FREE") for line in lines)


def test_values_are_plain_digits_as_the_controller_requires(serve):
    client = serve({"FB_TOTAL": "100000000000"})
    client.get("/set?gpu_util=0.000001&fb_used=99999999999&memory_form=both")
    for line in client.get("/metrics").text.splitlines():
        if not line.startswith("#"):
            assert re.fullmatch(r"[0-9.]+", line.rsplit(" ", 1)[1]), line


def test_set_then_metrics(serve):
    client = serve()
    assert client.get("/set?gpu_util=92.5&fb_used=36000").text == "OK"
    text = client.get("/metrics").text
    assert f"DCGM_FI_DEV_GPU_UTIL{LABELS} 92.5" in text
    assert f"DCGM_FI_DEV_FB_USED{LABELS} 36000" in text
    assert read(client) == GPUMetrics(90.0, 92.5, 1)


def test_several_gpus_set_one_or_all(serve):
    client = serve({"GPU_COUNT": "2"})
    client.get("/set?gpu_util=30&fb_used=10000")          # every GPU
    client.get("/set?gpu=1&gpu_util=90&fb_used=30000")    # GPU 1 only
    text = client.get("/metrics").text
    assert 'DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-abc123-1",modelName="NVIDIA A100"} 90' in text
    # memory (25 + 75)/2 = 50, compute (30 + 90)/2 = 60
    assert read(client) == GPUMetrics(50.0, 60.0, 2)


def test_changing_the_gpu_count_copies_gpu_zero_and_zero_gpus_is_an_empty_answer(serve):
    client = serve()
    client.get("/set?gpu_util=80&gpus=3")
    assert read(client) == GPUMetrics(50.0, 80.0, 3)
    client.get("/set?gpus=0")
    response = client.get("/metrics")
    assert (response.status_code, response.text) == (200, "")
    assert read(client) == GPUMetrics(0.0, 0.0, 0)
    client.get("/set?gpus=1")  # from none: the initial values again
    assert client.get("/status").json()["gpus"] == [{"gpu": 0, "gpu_util": 50.0, "fb_used": 20000.0}]


def test_free_memory_form_is_what_a_real_exporter_publishes(serve):
    client = serve({"MEMORY_FORM": "free"})
    client.get("/set?fb_used=30000")
    text = client.get("/metrics").text
    assert f"DCGM_FI_DEV_FB_FREE{LABELS} 10000" in text and "FB_TOTAL" not in text
    assert read(client, CONTRACT).memory_utilization == 75.0
    assert read(client, AS_BUILT).memory_utilization == 0.0


def test_down_exporter_answers_503_and_comes_back(serve):
    client = serve()
    client.get("/set?up=false")
    assert client.get("/metrics").status_code == 503
    assert read(client) is None
    client.get("/set?up=true")
    assert read(client) == GPUMetrics(50.0, 50.0, 1)


@pytest.mark.parametrize("query, named", [
    ("", "gpu_util"), ("gpu_util=101", "gpu_util"), ("gpu_util=x", "gpu_util"),
    ("fb_used=40001", "fb_used"), ("gpu_util=10&fb_used=-1", "fb_used"), ("fb_total=1", "fb_total"),
    ("gpu=1&gpu_util=5", "gpu"), ("gpus=17", "gpus"), ("gpus=1.5", "gpus"),
    ("memory_form=used", "memory_form"), ("up=no", "up"), ("gpus=3&gpu_util=500", "gpu_util"),
])
def test_bad_input_is_rejected_and_leaves_the_state_unchanged(serve, query, named):
    client = serve()
    before = client.get("/status").json()
    response = client.get(f"/set?{query}")
    assert response.status_code == 400 and named in response.text
    assert client.get("/status").json() == before


@pytest.mark.parametrize("env, named", [
    ({"INITIAL_GPU_UTIL": "150"}, "INITIAL_GPU_UTIL"), ({"FB_TOTAL": "-5"}, "FB_TOTAL"),
    ({"INITIAL_FB_USED": "50000"}, "INITIAL_FB_USED"), ({"GPU_COUNT": "two"}, "GPU_COUNT"),
    ({"MEMORY_FORM": "reserved"}, "MEMORY_FORM"),
])
def test_bad_environment_fails_create_server(env, named):
    with pytest.raises(ValueError, match=named):
        program.create_server("127.0.0.1", 0, env=env)


def test_unknown_paths_are_404_and_health_is_ok(serve):
    client = serve()
    assert client.get("/json").status_code == 404
    assert [client.get(p).text for p in ("/health", "/ready")] == ["OK", "OK"]
