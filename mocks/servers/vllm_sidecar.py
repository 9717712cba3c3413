"""Metrics sidecar of the inference simulator: vLLM metrics the suite sets over HTTP.

Runs as container `metrics-sidecar` (port 9000) next to the llm-d inference
simulator. GPU KV-cache usage is in PERCENT (0..100), as the old suite's
sidecar served it, so `basic-test` targets "70".

    GET /metrics   vllm:gpu_cache_usage_perc, vllm:num_requests_running,
                   vllm:num_requests_waiting (label model_name="test-model")
    GET /set?gpu_cache=F&requests_running=N&requests_waiting=N
                   any non-empty subset; 200 "OK", or 400 and nothing changed
    GET /status    the values as JSON
    GET /health, /ready   200 "OK"

Standard library and the sibling mockhttp.py only: it runs as `python vllm_sidecar.py`
in a python:3.11-slim pod from a ConfigMap, and the local cluster imports it and calls
create_server.
Initial values from env INITIAL_GPU_CACHE (85), INITIAL_RUNNING (5),
INITIAL_WAITING (10); the port from env PORT or --port (default 9000).
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Callable, Mapping

import mockhttp
from mockhttp import (JSON, PROMETHEUS, TEXT, BadRequest, from_env, ok, parse_count, parse_percent,
                      parse_query, server_for)

DEFAULT_PORT = 9000
MODEL_NAME = "test-model"
SET_PARAMETERS = ("gpu_cache", "requests_running", "requests_waiting")
METRICS = (
    ("vllm:gpu_cache_usage_perc", "gpu_cache", "GPU KV-cache usage in percent (0-100)."),
    ("vllm:num_requests_running", "requests_running", "Requests currently running."),
    ("vllm:num_requests_waiting", "requests_waiting", "Requests waiting in the queue."),
)


PARSERS = {"gpu_cache": parse_percent, "requests_running": parse_count,
           "requests_waiting": parse_count}


class Sidecar:
    """The three values and the HTTP routes; thread-safe."""

    def __init__(self, gpu_cache: float, requests_running: int, requests_waiting: int):
        self._lock = threading.Lock()
        self._values = {"gpu_cache": gpu_cache, "requests_running": requests_running,
                        "requests_waiting": requests_waiting}

    def handle(self, path: str, query: str) -> tuple[int, str, str]:
        """(status, content type, body) for a GET."""
        routes = {"/metrics": self.metrics, "/status": self.status, "/health": ok, "/ready": ok}
        if path == "/set":
            return self.set(query)
        if path in routes:
            return routes[path]()
        return 404, TEXT, f"not found: {path}; try /metrics, /set, /status, /health, /ready\n"

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

    def status(self) -> tuple[int, str, str]:
        with self._lock:
            return 200, JSON, json.dumps(self._values)


def create_server(host: str, port: int, env: Mapping[str, str] | None = None,
                  clock: Callable[[], float] = time.time, seed: int | None = None
                  ) -> ThreadingHTTPServer:
    """A server bound to (host, port), not yet serving. `clock` and `seed` are unused here."""
    env = os.environ if env is None else env
    app = Sidecar(from_env(env, "INITIAL_GPU_CACHE", "85", parse_percent),
                  from_env(env, "INITIAL_RUNNING", "5", parse_count),
                  from_env(env, "INITIAL_WAITING", "10", parse_count))
    return server_for(app, host, port)


def main(argv: list[str] | None = None) -> None:
    mockhttp.main("vllm_sidecar", __doc__, DEFAULT_PORT, create_server, argv)


if __name__ == "__main__":
    main()
