"""load-generator: N clients sending chat-completion requests to the inference simulator for D.

Each client keeps one request in flight: it POSTs <TARGET>/v1/chat/completions, waits for
the answer and sends the next at once, until the run's end (a closed loop with no think
time; after a failed request it waits RETRY_SECONDS first). A request in flight when the
run ends is answered, not abandoned.

    GET /start?clients=N&duration=D[&max_tokens=M]
                   start a run: N >= 1 clients for D (seconds, or 90s / 5m / 1h);
                   200 "OK", or 400 naming the problem (a run already going, a bad value)
                   and nothing started
    GET /stop      end the run now (requests in flight are still answered); 200 "OK"
    GET /status    JSON: running, clients, duration, max_tokens, started_at, ends_at (the
                   program's clock, epoch seconds), sent, succeeded, failed, in_flight,
                   last_error
    GET /health, /ready   200 "OK"

On the embedded cluster the node hands the program its request network (`network`, see
support/localcluster/node/request_network.py): a run's clients are then modelled on the
cluster clock (each request handed to the Service's next ready pod, answered when that
pod's engine has generated it) instead of one HTTP call per request; /start, /stop and
/status are the same.

Environment: TARGET (http://llm-inference-sim:8000), MODEL (Qwen/Qwen2.5-1.5B-Instruct),
MAX_TOKENS (1000), PROMPT, REQUEST_TIMEOUT (60 s), RETRY_SECONDS (1); CLIENTS and DURATION
start a run at boot (CLIENTS 0, the default, waits for /start); the control port from env
PORT or --port (default 8080). Standard library and the sibling mockhttp.py only.
"""


import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from http.server import ThreadingHTTPServer
from typing import Callable, Mapping

import mockhttp
from mockhttp import JSON, TEXT, BadRequest, ok, parse_query, server_for

DEFAULT_PORT = 8080
START_PARAMETERS = ("clients", "duration", "max_tokens")
MAX_CLIENTS = 1000
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(s|m|h)?")
_UNIT = {None: 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_clients(name: str, text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text) or not 1 <= int(text) <= MAX_CLIENTS:
        raise BadRequest(f"{name} must be a whole number from 1 to {MAX_CLIENTS}, got {text!r}")
    return int(text)


def parse_duration(name: str, text: str) -> float:
    match = _DURATION.fullmatch(text)
    if match is None or float(match[1]) <= 0:
        raise BadRequest(f"{name} must be a time above 0 in seconds or with s, m or h "
                         f"(90, 90s, 5m, 1h), got {text!r}")
    return float(match[1]) * _UNIT[match[2]]


def parse_tokens(name: str, text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text) or int(text) < 1:
        raise BadRequest(f"{name} must be a whole number >= 1, got {text!r}")
    return int(text)


@dataclass(frozen=True)
class Settings:
    target: str
    model: str
    prompt: str
    max_tokens: int
    request_timeout: float
    retry_seconds: float


@dataclass
class RunStatus:
    running: bool = False
    clients: int = 0
    duration: float = 0.0
    max_tokens: int = 0
    started_at: float | None = None
    ends_at: float | None = None
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    in_flight: int = 0
    last_error: str = ""


class LoadGenerator:
    """One run at a time of closed-loop clients; the control routes. Thread-safe."""

    def __init__(self, settings: Settings, clock: Callable[[], float], network=None):
        self.settings, self.clock, self.network = settings, clock, network
        self._lock = threading.Lock()
        self._status = RunStatus()
        self._stop = threading.Event()
        self._modelled = None  # the network's run, when the clients are modelled there

    def handle(self, path: str, query: str) -> tuple[int, str, str]:
        if path == "/start":
            return self.start_from(query)
        routes = {"/stop": self.stop, "/status": self.status, "/health": ok, "/ready": ok}
        if path in routes:
            return routes[path]()
        return 404, TEXT, f"not found: {path}; try /start, /stop, /status, /health, /ready\n"

    def start_from(self, query: str) -> tuple[int, str, str]:
        params = parse_query(query, START_PARAMETERS)
        for required in ("clients", "duration"):
            if required not in params:
                raise BadRequest(f"/start needs {required}, e.g. /start?clients=20&duration=60s")
        clients = parse_clients("clients", params["clients"])
        duration = parse_duration("duration", params["duration"])
        max_tokens = parse_tokens("max_tokens", params.get("max_tokens", str(self.settings.max_tokens)))
        self.start(clients, duration, max_tokens)
        return ok()

    def start(self, clients: int, duration: float, max_tokens: int) -> None:
        with self._lock:
            if self._status.running:
                raise BadRequest(f"a run of {self._status.clients} clients is going until "
                                 f"{self._status.ends_at:.0f}; /stop it first")
            now = self.clock()
            self._status = RunStatus(True, clients, duration, max_tokens, now, now + duration)
            self._stop = threading.Event()
            stop, end = self._stop, now + duration
            if self.network is not None:
                self._start_modelled(clients, duration, max_tokens)
                return
        threads = [threading.Thread(target=self._client, args=(stop, end, max_tokens),
                                    name=f"load-client-{i}", daemon=True) for i in range(clients)]
        for thread in threads:
            thread.start()
        threading.Thread(target=self._finish, args=(threads, stop), daemon=True).start()

    def stop(self) -> tuple[int, str, str]:
        self._stop.set()
        with self._lock:
            if self._modelled is not None:
                self._modelled.stop()
        return ok()

    def status(self) -> tuple[int, str, str]:
        with self._lock:
            if self._modelled is not None:
                self._read_modelled()
            return 200, JSON, json.dumps(asdict(self._status))

    def _start_modelled(self, clients: int, duration: float, max_tokens: int) -> None:
        """The run as clients of the cluster's request network (called holding the lock)."""
        try:
            self._modelled = self.network.start_clients(self.settings.target, clients, duration,
                                                        max(1, len(self.settings.prompt.split())), max_tokens)
        except LookupError as error:  # no such Service: every request would fail to connect
            self._modelled = None
            self._status.running = False
            self._status.failed, self._status.last_error = 1, f"{error} ({self.settings.target})"

    def _read_modelled(self) -> None:
        stats, active = self._modelled.stats()
        # a request lost with a pod that went is a failed one, sent again (as a client retries)
        self._status.sent, self._status.succeeded, self._status.failed = stats.sent, stats.completed, stats.resent
        self._status.in_flight, self._status.running = stats.in_flight, active

    def _client(self, stop: threading.Event, end: float, max_tokens: int) -> None:
        while not stop.is_set() and self.clock() < end:
            with self._lock:
                self._status.sent += 1
                self._status.in_flight += 1
            error = self._send(max_tokens)
            with self._lock:
                self._status.in_flight -= 1
                if error:
                    self._status.failed += 1
                    self._status.last_error = error
                else:
                    self._status.succeeded += 1
            if error:
                stop.wait(self.settings.retry_seconds)

    def _send(self, max_tokens: int) -> str:
        """One chat completion; "" when answered 200, else what went wrong."""
        settings = self.settings
        body = json.dumps({"model": settings.model, "max_tokens": max_tokens,
                           "messages": [{"role": "user", "content": settings.prompt}]}).encode()
        request = urllib.request.Request(settings.target.rstrip("/") + "/v1/chat/completions", data=body,
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=settings.request_timeout) as response:
                response.read()
            return ""
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code} from {request.full_url}"
        except (OSError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc} ({request.full_url})"

    def _finish(self, threads: list[threading.Thread], stop: threading.Event) -> None:
        """Mark the run over once its clients are done (unless a newer run replaced it)."""
        for thread in threads:
            thread.join()
        with self._lock:
            if self._stop is stop:
                self._status.running = False


def settings_from(env: Mapping[str, str]) -> Settings:
    def number(name: str, default: str) -> float:
        try:
            value = float(env.get(name, default))
        except ValueError:
            value = -1.0
        if value < 0:
            raise ValueError(f"environment variable {name} must be a number >= 0, got {env.get(name)!r}")
        return value

    return Settings(env.get("TARGET", "http://llm-inference-sim:8000"),
                    env.get("MODEL", "Qwen/Qwen2.5-1.5B-Instruct"),
                    env.get("PROMPT", "Write a long story about autoscaling."),
                    mockhttp.from_env(env, "MAX_TOKENS", "1000", parse_tokens),
                    number("REQUEST_TIMEOUT", "60"), number("RETRY_SECONDS", "1"))


def create_server(host: str, port: int, env: Mapping[str, str] | None = None,
                  clock: Callable[[], float] = time.time, seed: int | None = None, network=None
                  ) -> ThreadingHTTPServer:
    """The control server bound to (host, port), not yet serving; a CLIENTS run starts at once.
    `network`: the embedded cluster's request network (the clients modelled there), else real HTTP."""
    env = os.environ if env is None else env
    generator = LoadGenerator(settings_from(env), clock, network)
    clients = env.get("CLIENTS", "0")
    if clients != "0":
        generator.start(mockhttp.from_env(env, "CLIENTS", "0", parse_clients),
                        mockhttp.from_env(env, "DURATION", "60", parse_duration),
                        generator.settings.max_tokens)
    return server_for(generator, host, port)


def main(argv: list[str] | None = None) -> None:
    mockhttp.main("load_generator", __doc__, DEFAULT_PORT, create_server, argv)


if __name__ == "__main__":
    main()
