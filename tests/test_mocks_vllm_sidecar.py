"""The simulator's metrics sidecar: percent-scale vLLM metrics, /set, validation, env."""

import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import interruptible
from support.manifests import PROGRAMS_DIR, load_program

sidecar = load_program("vllm_sidecar.py")


@pytest.fixture
def serve(serve_program):
    """start(env) -> an httpx client on a fresh sidecar at 127.0.0.1:<free port>."""
    return lambda env=None: serve_program(sidecar, env=env or {})


def samples(text):
    """{metric line without value: value} of a Prometheus text body."""
    pairs = (line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {series: float(value) for series, value in pairs}


GPU = 'vllm:gpu_cache_usage_perc{model_name="test-model"}'
RUNNING = 'vllm:num_requests_running{model_name="test-model"}'
WAITING = 'vllm:num_requests_waiting{model_name="test-model"}'


def test_metrics_serves_the_initial_values_in_prometheus_format(serve):
    response = serve().get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE vllm:gpu_cache_usage_perc gauge" in response.text
    assert "# HELP vllm:num_requests_waiting" in response.text
    assert f"{GPU} 85.0" in response.text
    assert samples(response.text) == {GPU: 85.0, RUNNING: 5, WAITING: 10}


def test_initial_values_come_from_the_environment(serve):
    client = serve({"INITIAL_GPU_CACHE": "12.5", "INITIAL_RUNNING": "3", "INITIAL_WAITING": "0"})
    assert samples(client.get("/metrics").text) == {GPU: 12.5, RUNNING: 3, WAITING: 0}


@pytest.mark.parametrize("name, value", [
    ("INITIAL_GPU_CACHE", "abc"), ("INITIAL_GPU_CACHE", "101"), ("INITIAL_RUNNING", "-1"),
    ("INITIAL_RUNNING", "2.5"), ("INITIAL_WAITING", ""),
])
def test_a_malformed_environment_value_fails_create_server(name, value):
    with pytest.raises(ValueError, match=name):
        sidecar.create_server("127.0.0.1", 0, env={name: value})


def test_set_changes_only_the_given_values(serve):
    client = serve()
    response = client.get("/set", params={"gpu_cache": "20", "requests_waiting": "0"})
    assert (response.status_code, response.text) == (200, "OK")
    assert samples(client.get("/metrics").text) == {GPU: 20.0, RUNNING: 5, WAITING: 0}
    assert client.get("/status").json() == {"gpu_cache": 20.0, "requests_running": 5,
                                            "requests_waiting": 0, "cpu": 0}


@pytest.mark.parametrize("query, named", [
    ("", "gpu_cache"),
    ("gpu_cache=101", "gpu_cache"), ("gpu_cache=-0.1", "gpu_cache"), ("gpu_cache=abc", "gpu_cache"),
    ("gpu_cache=nan", "gpu_cache"), ("gpu_cache=", "gpu_cache"),
    ("requests_running=1.5", "requests_running"), ("requests_running=-1", "requests_running"),
    ("requests_waiting=x", "requests_waiting"),
    ("gpu_cache=50&requests_running=many", "requests_running"),
    ("gpu_cach=50", "gpu_cach"), ("gpu_cache=1&gpu_cache=2", "gpu_cache"),
])
def test_bad_input_is_rejected_and_leaves_the_state_unchanged(serve, query, named):
    client = serve()
    before = client.get("/status").json()
    response = client.get(f"/set?{query}")
    assert response.status_code == 400
    assert named in response.text
    assert client.get("/status").json() == before


def test_the_400_message_says_what_is_allowed(serve):
    text = serve().get("/set?gpu_cache=300").text
    assert "0 to 100" in text and "'300'" in text


def test_unknown_paths_are_404_and_health_is_ok(serve):
    client = serve()
    assert client.get("/nope").status_code == 404
    for path in ("/health", "/ready"):
        response = client.get(path)
        assert (response.status_code, response.text) == (200, "OK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("how", ["env PORT", "--port"])
def test_it_runs_by_hand_from_any_directory_and_stops_on_ctrl_c(tmp_path, how):
    """`PORT=9100 python mocks/servers/vllm_sidecar.py`: mockhttp.py is found next to the script."""
    port = free_port()
    args = ["--port", str(port)] if how == "--port" else []
    env = {"PATH": "/usr/bin:/bin", "PORT": str(port) if how == "env PORT" else "1"}
    process = subprocess.Popen([sys.executable, "-E", "-s", str(PROGRAMS_DIR / "vllm_sidecar.py"), *args],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=interruptible)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as response:
                    assert 'vllm:gpu_cache_usage_perc{model_name="test-model"} 85.0' in response.read().decode()
                break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline
                time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out == f"vllm_sidecar serving on 0.0.0.0:{port}\nvllm_sidecar stopping\n"


@pytest.mark.parametrize("mode, status, holds_metric", [("error", 500, False), ("garbage", 200, False)])
def test_a_fault_breaks_metrics_until_it_is_lifted(serve, mode, status, holds_metric):
    client = serve()
    assert client.get("/fault", params={"metrics": mode}).status_code == 200
    response = client.get("/metrics")
    assert response.status_code == status
    assert ("vllm:gpu_cache_usage_perc" in response.text) is holds_metric
    assert client.get("/status").status_code == 200
    assert client.get("/fault", params={"metrics": "none"}).status_code == 200
    assert samples(client.get("/metrics").text) == {GPU: 85.0, RUNNING: 5, WAITING: 10}


@pytest.mark.parametrize("query", [{"metrics": "slow"}, {"other": "error"}])
def test_an_unknown_fault_is_refused_and_changes_nothing(serve, query):
    client = serve()
    response = client.get("/fault", params=query)
    assert response.status_code == 400
    assert client.get("/metrics").status_code == 200


def test_ready_answers_503_until_the_startup_time_has_passed(serve_program):
    now = [1000.0]
    client = serve_program(sidecar, env={"READY_AFTER_SECONDS": "120"}, clock=lambda: now[0])
    starting = client.get("/ready")
    assert (starting.status_code, starting.text) == (503, "starting: ready in 120 s\n")
    assert client.get("/metrics").status_code == 200, "a starting pod still serves its metrics"
    now[0] += 119.5
    assert client.get("/ready").status_code == 503
    now[0] += 0.5
    assert (client.get("/ready").status_code, client.get("/ready").text) == (200, "OK")


@pytest.mark.parametrize("value", ["-5", "1.5", "soon"])
def test_a_malformed_startup_time_fails_create_server(value):
    with pytest.raises(ValueError, match="READY_AFTER_SECONDS"):
        sidecar.create_server("127.0.0.1", 0, env={"READY_AFTER_SECONDS": value})


def test_usage_reports_the_cpu_set(serve):
    client = serve()
    assert client.get("/usage").json() == {"cpu": "0m"}
    assert client.get("/set", params={"cpu": "450m"}).status_code == 200
    assert client.get("/usage").json() == {"cpu": "450m"}
    bad = client.get("/set", params={"cpu": "lots"})
    assert bad.status_code == 400 and "millicores" in bad.text




class _Slices:
    """A stop event that ends the burner after three slices and remembers each idle wait."""

    def __init__(self):
        self.waits = []

    def is_set(self):
        return len(self.waits) >= 3

    def wait(self, seconds):
        self.waits.append(round(seconds, 6))


def test_a_standalone_program_burns_the_cpu_it_declares():
    """On a real cluster the metrics-server measures the CPU a test set: the program is busy that share of time."""
    ticks = iter(range(10_000))
    reads = []

    def clock():
        reads.append(next(ticks) * 0.001)
        return reads[-1]
    stop = _Slices()
    sidecar.mockhttp.burn_declared_cpu(sidecar.Sidecar(0, 0, 0, cpu=300), stop, 0.1, clock)
    assert stop.waits == [0.07, 0.07, 0.07], "idle 70 % of each slice at 300m"
    assert len(reads) >= 3 * 30, f"busy 30 ms of each 100 ms slice (clock read {len(reads)} times at 1 ms a read)"
