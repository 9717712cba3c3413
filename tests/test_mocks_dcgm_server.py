"""mock-dcgm-exporter: DCGM gauges in the form BudAIScaler's GPU step parses, /set."""

import re

import pytest

from support.manifests import load_program

program = load_program("dcgm_server.py")
LABELS = '{gpu="0",UUID="GPU-abc123",modelName="NVIDIA A100"}'


@pytest.fixture
def serve(serve_program):
    """start(env) -> an httpx client on a fresh exporter at 127.0.0.1:<free port>."""
    return lambda env=None: serve_program(program, env=env or {})


def test_metrics_serve_the_initial_gauges(serve):
    text = serve().get("/metrics").text
    assert f"DCGM_FI_DEV_GPU_UTIL{LABELS} 50" in text.splitlines()
    assert f"DCGM_FI_DEV_FB_USED{LABELS} 20000" in text.splitlines()
    assert f"DCGM_FI_DEV_FB_TOTAL{LABELS} 40000" in text.splitlines()


def test_values_are_plain_digits_as_the_controller_requires(serve):
    client = serve({"FB_TOTAL": "100000000000"})
    client.get("/set?gpu_util=0.000001&fb_used=99999999999")
    for line in client.get("/metrics").text.splitlines():
        if not line.startswith("#"):
            assert re.fullmatch(r"[0-9.]+", line.rsplit(" ", 1)[1]), line


def test_set_then_metrics(serve):
    client = serve()
    assert client.get("/set?gpu_util=92.5&fb_used=36000").text == "OK"
    text = client.get("/metrics").text
    assert f"DCGM_FI_DEV_GPU_UTIL{LABELS} 92.5" in text
    assert f"DCGM_FI_DEV_FB_USED{LABELS} 36000" in text


@pytest.mark.parametrize("query, named", [
    ("", "gpu_util"), ("gpu_util=101", "gpu_util"), ("gpu_util=x", "gpu_util"),
    ("fb_used=40001", "fb_used"), ("gpu_util=10&fb_used=-1", "fb_used"), ("fb_total=1", "fb_total"),
])
def test_bad_input_is_rejected_and_leaves_the_state_unchanged(serve, query, named):
    client = serve()
    before = client.get("/status").json()
    response = client.get(f"/set?{query}")
    assert response.status_code == 400 and named in response.text
    assert client.get("/status").json() == before


@pytest.mark.parametrize("env, named", [
    ({"INITIAL_GPU_UTIL": "150"}, "INITIAL_GPU_UTIL"), ({"FB_TOTAL": "-5"}, "FB_TOTAL"),
    ({"INITIAL_FB_USED": "50000"}, "INITIAL_FB_USED"),
])
def test_bad_environment_fails_create_server(env, named):
    with pytest.raises(ValueError, match=named):
        program.create_server("127.0.0.1", 0, env=env)


def test_unknown_paths_are_404_and_health_is_ok(serve):
    client = serve()
    assert client.get("/json").status_code == 404
    assert [client.get(p).text for p in ("/health", "/ready")] == ["OK", "OK"]
