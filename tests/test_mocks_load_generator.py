"""load-generator: closed-loop clients against a stand-in simulator, /start, /stop, /status."""

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support.manifests import load_program, program_configmap
from conftest import wait_until
from test_manifests import free_port, get_when_up

program = load_program("load_generator.py")


class FakeSimulator:
    """A chat-completions endpoint that records requests; each one moves `now` on by a second."""

    def __init__(self, hold_first: int = 0, status: int = 200):
        self.now, self.bodies, self.status = 0.0, [], status
        self.concurrent = self.max_concurrent = 0
        self._lock = threading.Lock()
        self._hold = threading.Barrier(hold_first, timeout=5) if hold_first else None
        self._hold_first = hold_first
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake._lock:
                    fake.bodies.append((self.path, body))
                    fake.concurrent += 1
                    fake.max_concurrent = max(fake.max_concurrent, fake.concurrent)
                    held = len(fake.bodies) <= fake._hold_first
                if held:
                    fake._hold.wait()
                with fake._lock:
                    fake.concurrent -= 1
                    fake.now += 1
                self.send_response(fake.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def clock(self) -> float:
        with self._lock:
            return self.now

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def simulator():
    fakes = []

    def make(**kwargs):
        fakes.append(FakeSimulator(**kwargs))
        return fakes[-1]

    yield make
    for fake in fakes:
        fake.close()


@pytest.fixture
def generator(serve_program):
    """start(target, clock, **env) -> an httpx client on a fresh load generator; runs stopped at the end."""
    clients = []

    def start(target, clock, **env):
        client = serve_program(program, env={"TARGET": target, "RETRY_SECONDS": "0.01", **env},
                               clock=clock)
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.get("/stop")
        wait_until(lambda c=client: not c.get("/status").json()["running"], 10, "the run to end")


def finished(client):
    wait_until(lambda: not client.get("/status").json()["running"], 10, "the run to end")
    return client.get("/status").json()


def test_one_client_sends_one_request_after_another_until_the_run_ends(simulator, generator):
    fake = simulator()
    client = generator(fake.url, fake.clock, MAX_TOKENS="50")
    assert client.get("/start?clients=1&duration=5").text == "OK"
    # each answer moves the clock a second: requests leave at 0, 1, 2, 3 and 4
    status = finished(client)
    assert (status["sent"], status["succeeded"], status["failed"]) == (5, 5, 0)
    assert (status["clients"], status["duration"], status["started_at"], status["ends_at"]) == (1, 5, 0, 5)
    path, body = fake.bodies[0]
    assert path == "/v1/chat/completions"
    assert (body["model"], body["max_tokens"], body["messages"][0]["role"]) == (
        "Qwen/Qwen2.5-1.5B-Instruct", 50, "user")


def test_clients_keep_their_requests_in_flight_at_the_same_time(simulator, generator):
    fake = simulator(hold_first=3)   # the first three answers wait until all three are in
    client = generator(fake.url, lambda: 0.0)
    client.get("/start?clients=3&duration=1m&max_tokens=10")
    wait_until(lambda: len(fake.bodies) >= 4, 10, "the clients to send again after the first answers")
    client.get("/stop")
    status = finished(client)
    assert fake.max_concurrent == 3
    assert status["sent"] == status["succeeded"] == len(fake.bodies) and status["in_flight"] == 0


def test_failed_requests_are_counted_and_retried(simulator, generator):
    fake = simulator(status=404)
    client = generator(fake.url, lambda: 0.0)
    client.get("/start?clients=1&duration=1h")
    wait_until(lambda: client.get("/status").json()["failed"] >= 2, 10, "two failed requests")
    status = client.get("/status").json()
    assert status["succeeded"] == 0 and status["last_error"] == \
        f"HTTP 404 from {fake.url}/v1/chat/completions"


def test_an_unreachable_target_is_an_error_naming_it(generator):
    target = f"http://127.0.0.1:{free_port()}"
    client = generator(target, lambda: 0.0, REQUEST_TIMEOUT="2")
    client.get("/start?clients=1&duration=10")
    wait_until(lambda: client.get("/status").json()["failed"] >= 1, 10, "a failed request")
    assert target in client.get("/status").json()["last_error"]


@pytest.mark.parametrize("query, named", [
    ("", "clients"), ("clients=2", "duration"), ("duration=5", "clients"),
    ("clients=0&duration=5", "clients"), ("clients=x&duration=5", "clients"),
    ("clients=1001&duration=5", "clients"), ("clients=2&duration=0", "duration"),
    ("clients=2&duration=-1", "duration"), ("clients=2&duration=5d", "duration"),
    ("clients=2&duration=5&max_tokens=0", "max_tokens"), ("clients=2&duration=5&rate=3", "rate"),
])
def test_bad_start_is_rejected_and_starts_nothing(simulator, generator, query, named):
    fake = simulator()
    client = generator(fake.url, fake.clock)
    before = client.get("/status").json()
    response = client.get(f"/start?{query}")
    assert response.status_code == 400 and named in response.text
    assert client.get("/status").json() == before and fake.bodies == []


def test_one_run_at_a_time(simulator, generator):
    fake = simulator()
    client = generator(fake.url, lambda: 0.0)
    client.get("/start?clients=2&duration=10m")
    response = client.get("/start?clients=5&duration=10")
    assert response.status_code == 400 and "/stop it first" in response.text
    assert client.get("/status").json()["clients"] == 2


@pytest.mark.parametrize("text, seconds", [("90", 90), ("90s", 90), ("5m", 300), ("1.5h", 5400)])
def test_durations(text, seconds):
    assert program.parse_duration("duration", text) == seconds


def test_clients_and_duration_in_the_environment_start_a_run_at_boot(simulator, generator):
    fake = simulator()
    client = generator(fake.url, lambda: 0.0, CLIENTS="2", DURATION="2m")
    status = client.get("/status").json()
    assert (status["running"], status["clients"], status["duration"]) == (True, 2, 120)


@pytest.mark.parametrize("env, named", [
    ({"CLIENTS": "-1"}, "CLIENTS"), ({"CLIENTS": "2", "DURATION": "soon"}, "DURATION"),
    ({"MAX_TOKENS": "many"}, "MAX_TOKENS"), ({"REQUEST_TIMEOUT": "x"}, "REQUEST_TIMEOUT"),
])
def test_bad_environment_fails_create_server(env, named):
    with pytest.raises(ValueError, match=named):
        program.create_server("127.0.0.1", 0, env=env)


def test_unknown_paths_are_404_and_health_is_ok(simulator, generator):
    client = generator(simulator().url, lambda: 0.0)
    assert client.get("/metrics").status_code == 404
    assert [client.get(p).text for p in ("/health", "/ready")] == ["OK", "OK"]


def test_it_runs_as_a_pod_runs_it_from_the_files_of_its_configmap(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    for name, content in program_configmap("load_generator.py")["data"].items():
        (app / name).write_text(content)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-E", "-s", str(app / "load_generator.py")], cwd=tmp_path,
                               env={"PORT": str(port), "PATH": "/usr/bin:/bin"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert get_when_up(port, "/ready", process) == "OK"
        assert json.loads(get_when_up(port, "/status", process))["running"] is False
    finally:
        process.terminate()
        process.communicate(timeout=5)
