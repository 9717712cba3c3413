"""Metrics sidecar of the inference simulator: vLLM metrics the suite sets over HTTP.

Runs as container `metrics-sidecar` (port 9000) next to the llm-d inference
simulator. GPU KV-cache usage is in PERCENT (0..100), as the old suite's
sidecar served it, so `basic-test` targets "70".

    GET /metrics   vllm:gpu_cache_usage_perc, vllm:num_requests_running,
                   vllm:num_requests_waiting (label model_name="test-model")
    GET /usage     {"cpu": "<millicores>m"}: the CPU this program says it uses (the embedded
                   cluster's node reports it to the metrics API; 0m until set)
    GET /set?gpu_cache=F&requests_running=N&requests_waiting=N&cpu=Mm
                   any non-empty subset; 200 "OK", or 400 and nothing changed
    GET /fault?metrics=error|garbage|none
                   /metrics answers 500, or 200 with a body that holds no metric, or
                   again the values (none); 400 for anything else
    GET /status    the values as JSON
    GET /health    200 "OK"
    GET /ready     200 "OK" once the pod has started: READY_AFTER_SECONDS (env, default 0)
                   after the program started, 503 "starting" before (a model still
                   loading), so the pod's readiness probe holds it unready that long

Standard library and the sibling mockhttp.py only: it runs as `python vllm_sidecar.py`
in a python:3.11-slim pod from a ConfigMap, and the local cluster imports it and calls
create_server.
Initial values from env INITIAL_GPU_CACHE (85), INITIAL_RUNNING (5),
INITIAL_WAITING (10), INITIAL_CPU (0m); the port from env PORT or --port (default 9000). The manifest takes
READY_AFTER_SECONDS from the ConfigMap `inference-pod-startup` (optional), so a scenario
makes pods started from then on slow to become ready without rolling out the Deployment.
"""

from __future__ import annotations

import os
import time
from http.server import ThreadingHTTPServer
from typing import Callable, Mapping

import mockhttp
from mockhttp import parse_millicores, usage, TEXT, BadRequest, SettableGauges, from_env, ok, parse_count, parse_percent, parse_query, \
    server_for

DEFAULT_PORT = 9000
MODEL_NAME = "test-model"
SET_PARAMETERS = ("gpu_cache", "requests_running", "requests_waiting", "cpu")
METRICS = (
    ("vllm:gpu_cache_usage_perc", "gpu_cache", "GPU KV-cache usage in percent (0-100)."),
    ("vllm:num_requests_running", "requests_running", "Requests currently running."),
    ("vllm:num_requests_waiting", "requests_waiting", "Requests waiting in the queue."),
)


FAULTS = {
    "error": (500, TEXT, "metrics temporarily unavailable\n"),
    "garbage": (200, TEXT, "<html><body>Service Unavailable</body></html>\n"),
}

PARSERS = {"gpu_cache": parse_percent, "requests_running": parse_count,
           "requests_waiting": parse_count, "cpu": parse_millicores}


class Sidecar(SettableGauges):
    """The three values and the HTTP routes."""

    gauges, labels, settable = METRICS, f'model_name="{MODEL_NAME}"', SET_PARAMETERS

    def __init__(self, gpu_cache: float, requests_running: int, requests_waiting: int,
                 ready_at: float = 0.0, clock: Callable[[], float] = time.time, cpu: int = 0):
        super().__init__({"gpu_cache": gpu_cache, "requests_running": requests_running,
                          "requests_waiting": requests_waiting, "cpu": cpu})
        self._fault = "none"
        self._ready_at, self._clock = ready_at, clock

    def routes(self) -> dict[str, Callable[[], tuple[int, str, str]]]:
        return {**super().routes(), "/ready": self.ready, "/usage": lambda: usage(self.values()["cpu"])}

    def ready(self) -> tuple[int, str, str]:
        left = self._ready_at - self._clock()
        return ok() if left <= 0 else (503, TEXT, f"starting: ready in {left:.0f} s\n")

    def handle(self, path: str, query: str) -> tuple[int, str, str]:
        if path == "/fault":
            mode = parse_query(query, ("metrics",)).get("metrics", "")
            if mode not in (*FAULTS, "none"):
                raise BadRequest(f"/fault?metrics= takes one of: {', '.join((*FAULTS, 'none'))}")
            self._fault = mode
            return ok()
        if path == "/metrics" and self._fault in FAULTS:
            return FAULTS[self._fault]
        return super().handle(path, query)

    def parse(self, name: str, text: str, current: Mapping[str, object]) -> object:
        return PARSERS[name](name, text)


def create_server(host: str, port: int, env: Mapping[str, str] | None = None,
                  clock: Callable[[], float] = time.time, seed: int | None = None
                  ) -> ThreadingHTTPServer:
    """A server bound to (host, port), not yet serving; `clock` times its start. `seed` is unused here."""
    env = os.environ if env is None else env
    app = Sidecar(from_env(env, "INITIAL_GPU_CACHE", "85", parse_percent),
                  from_env(env, "INITIAL_RUNNING", "5", parse_count),
                  from_env(env, "INITIAL_WAITING", "10", parse_count),
                  ready_at=clock() + from_env(env, "READY_AFTER_SECONDS", "0", parse_count), clock=clock,
                  cpu=from_env(env, "INITIAL_CPU", "0m", parse_millicores))
    return server_for(app, host, port)


def main(argv: list[str] | None = None) -> None:
    mockhttp.main("vllm_sidecar", __doc__, DEFAULT_PORT, create_server, argv)


if __name__ == "__main__":
    main()
