"""mock-vllm-metrics: vLLM metrics under the old underscore names, settable over HTTP.

The target of `mock-test` (pod source) and the endpoint of `policy-test`
(external source, reading /json). GPU KV-cache usage is in PERCENT (0..100).

    GET /metrics   vllm_gpu_cache_usage_perc, vllm_num_requests_running,
                   vllm_num_requests_waiting (label model_name="mock-model")
    GET /json      {"vllm:gpu_cache_usage_perc": .., "vllm:num_requests_running": ..,
                    "vllm:num_requests_waiting": ..}; query parameters (the external
                   source adds namespace, metric, label_*) are ignored
    GET /set?gpu_cache=F&requests_running=N&requests_waiting=N
                   any non-empty subset; 200 "OK", or 400 and nothing changed
    GET /status    the values as JSON
    GET /health, /ready   200 "OK"

Standard library only: it runs as `python metrics_server.py` in a python:3.11-slim
pod from a ConfigMap, and the local cluster imports it and calls create_server.
Initial values from env INITIAL_GPU_CACHE (0), INITIAL_RUNNING (0),
INITIAL_WAITING (0); the port from env PORT or --port (default 8000).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Mapping
from urllib.parse import parse_qs, urlsplit

DEFAULT_PORT = 8000
MODEL_NAME = "mock-model"
SET_PARAMETERS = ("gpu_cache", "requests_running", "requests_waiting")
METRICS = (
    ("vllm_gpu_cache_usage_perc", "gpu_cache", "GPU KV-cache usage in percent (0-100)."),
    ("vllm_num_requests_running", "requests_running", "Requests currently running."),
    ("vllm_num_requests_waiting", "requests_waiting", "Requests waiting in the queue."),
)
JSON_KEYS = {"gpu_cache": "vllm:gpu_cache_usage_perc", "requests_running": "vllm:num_requests_running",
             "requests_waiting": "vllm:num_requests_waiting"}


class BadRequest(ValueError):
    """A parameter is missing or out of range; the message becomes the 400 body."""


def parse_percent(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= 100):
        raise BadRequest(f"{name} must be a number from 0 to 100, got {text!r}")
    return value


def parse_count(name: str, text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text):
        raise BadRequest(f"{name} must be an integer >= 0, got {text!r}")
    return int(text)


def parse_query(query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """One value per parameter, only `allowed` names."""
    params = parse_qs(query, keep_blank_values=True)
    for name, values in params.items():
        if name not in allowed:
            raise BadRequest(f"unknown parameter {name!r}; allowed: {', '.join(allowed)}")
        if len(values) > 1:
            raise BadRequest(f"parameter {name!r} given more than once")
    return {name: values[0] for name, values in params.items()}


PARSERS = {"gpu_cache": parse_percent, "requests_running": parse_count,
           "requests_waiting": parse_count}


class MetricsServer:
    """The three values and the HTTP routes; thread-safe."""

    def __init__(self, gpu_cache: float, requests_running: int, requests_waiting: int):
        self._lock = threading.Lock()
        self._values = {"gpu_cache": gpu_cache, "requests_running": requests_running,
                        "requests_waiting": requests_waiting}

    def handle(self, path: str, query: str) -> tuple[int, str, str]:
        """(status, content type, body) for a GET."""
        routes = {"/metrics": self.metrics, "/json": self.as_json, "/status": self.status,
                  "/health": ok, "/ready": ok}
        if path == "/set":
            return self.set(query)
        if path in routes:
            return routes[path]()
        return 404, TEXT, f"not found: {path}; try /metrics, /json, /set, /status, /health, /ready\n"

    def set(self, query: str) -> tuple[int, str, str]:
        params = parse_query(query, SET_PARAMETERS)
        if not params:
            raise BadRequest(f"/set needs at least one of: {', '.join(SET_PARAMETERS)}")
        # Parse everything first so a bad value leaves the state unchanged.
        update = {name: PARSERS[name](name, text) for name, text in params.items()}
        with self._lock:
            self._values.update(update)
        return ok()

    def metrics(self) -> tuple[int, str, str]:
        with self._lock:
            values = dict(self._values)
        lines = []
        for metric, key, help_text in METRICS:
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} gauge",
                      f'{metric}{{model_name="{MODEL_NAME}"}} {values[key]}']
        return 200, PROMETHEUS, "\n".join(lines) + "\n"

    def as_json(self) -> tuple[int, str, str]:
        with self._lock:
            return 200, JSON, json.dumps({JSON_KEYS[k]: v for k, v in self._values.items()})

    def status(self) -> tuple[int, str, str]:
        with self._lock:
            return 200, JSON, json.dumps(self._values)


TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


def ok() -> tuple[int, str, str]:
    return 200, TEXT, "OK"


def handler_for(app) -> type[BaseHTTPRequestHandler]:
    """A request handler serving `app.handle(path, query)`, quietly."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            url = urlsplit(self.path)
            try:
                status, content_type, body = app.handle(url.path, url.query)
            except BadRequest as exc:
                status, content_type, body = 400, TEXT, f"{exc}\n"
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass

    return Handler


def from_env(env: Mapping[str, str], name: str, default: str, parse):
    """Parse an initial value; a malformed one is a ValueError naming the variable."""
    try:
        return parse(name, env.get(name, default))
    except BadRequest as exc:
        raise ValueError(f"environment variable {exc}") from None


def create_server(host: str, port: int, env: Mapping[str, str] | None = None,
                  clock: Callable[[], float] = time.time, seed: int | None = None
                  ) -> ThreadingHTTPServer:
    """A server bound to (host, port), not yet serving. `clock` and `seed` are unused here."""
    env = os.environ if env is None else env
    app = MetricsServer(from_env(env, "INITIAL_GPU_CACHE", "0", parse_percent),
                        from_env(env, "INITIAL_RUNNING", "0", parse_count),
                        from_env(env, "INITIAL_WAITING", "0", parse_count))
    server = ThreadingHTTPServer((host, port), handler_for(app))
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    args = parser.parse_args(argv)
    server = create_server("0.0.0.0", args.port)
    print(f"metrics_server serving on 0.0.0.0:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
