"""mock-vllm-metrics: vLLM metrics under the old underscore names, settable over HTTP.

The target of `mock-test` (pod source) and the endpoint of `policy-test`
(external source, reading /json). GPU KV-cache usage is in PERCENT (0..100).

    GET /metrics   vllm_gpu_cache_usage_perc, vllm_num_requests_running,
                   vllm_num_requests_waiting (label model_name="mock-model")
    GET /json      {"vllm:gpu_cache_usage_perc": .., "vllm:num_requests_running": ..,
                    "vllm:num_requests_waiting": ..}; query parameters (the external
                   source adds namespace, metric, label_*) are ignored
    GET /usage     {"cpu": "<millicores>m", "memory": "<bytes>"}: the CPU and memory this
                   program says it uses (the embedded cluster's node reports them to the
                   metrics API; 0 until set; run as a program it uses them)
    GET /set?gpu_cache=F&requests_running=N&requests_waiting=N&cpu=Mm&memory=B (or 64Mi)
                   any non-empty subset; 200 "OK", or 400 and nothing changed
    GET /status    the values as JSON
    GET /health, /ready   200 "OK"

Standard library and the sibling mockhttp.py only: it runs as `python metrics_server.py`
in a python:3.11-slim pod from a ConfigMap, and the local cluster imports it and calls
create_server.
Initial values from env INITIAL_GPU_CACHE (0), INITIAL_RUNNING (0),
INITIAL_WAITING (0), INITIAL_CPU (0m), INITIAL_MEMORY (0); the port from env PORT or --port (default 8000).
"""

from __future__ import annotations

import json
import os
import time
from http.server import ThreadingHTTPServer
from typing import Callable, Mapping

import mockhttp
from mockhttp import parse_bytes, parse_millicores, usage, JSON, SettableGauges, from_env, parse_count, parse_percent, server_for

DEFAULT_PORT = 8000
MODEL_NAME = "mock-model"
SET_PARAMETERS = ("gpu_cache", "requests_running", "requests_waiting", "cpu", "memory")
METRICS = (
    ("vllm_gpu_cache_usage_perc", "gpu_cache", "GPU KV-cache usage in percent (0-100)."),
    ("vllm_num_requests_running", "requests_running", "Requests currently running."),
    ("vllm_num_requests_waiting", "requests_waiting", "Requests waiting in the queue."),
)
JSON_KEYS = {"gpu_cache": "vllm:gpu_cache_usage_perc", "requests_running": "vllm:num_requests_running",
             "requests_waiting": "vllm:num_requests_waiting"}


PARSERS = {"gpu_cache": parse_percent, "requests_running": parse_count,
           "requests_waiting": parse_count, "cpu": parse_millicores, "memory": parse_bytes}


class MetricsServer(SettableGauges):
    """The three values and the HTTP routes, plus /json for the external source."""

    gauges, labels, settable = METRICS, f'model_name="{MODEL_NAME}"', SET_PARAMETERS

    def __init__(self, gpu_cache: float, requests_running: int, requests_waiting: int, cpu: int = 0,
                 memory: int = 0):
        super().__init__({"gpu_cache": gpu_cache, "requests_running": requests_running,
                          "requests_waiting": requests_waiting, "cpu": cpu, "memory": memory})

    def parse(self, name: str, text: str, current: Mapping[str, object]) -> object:
        return PARSERS[name](name, text)

    def routes(self) -> dict:
        return {"/metrics": self.metrics, "/json": self.as_json, "/usage": self.usage,
                **super().routes()}

    def usage(self) -> tuple[int, str, str]:
        values = self.values()
        return usage(values["cpu"], values["memory"])

    def as_json(self) -> tuple[int, str, str]:
        return 200, JSON, json.dumps({key: self.values()[k] for k, key in JSON_KEYS.items()})


def create_server(host: str, port: int, env: Mapping[str, str] | None = None,
                  clock: Callable[[], float] = time.time, seed: int | None = None
                  ) -> ThreadingHTTPServer:
    """A server bound to (host, port), not yet serving. `clock` and `seed` are unused here."""
    env = os.environ if env is None else env
    app = MetricsServer(from_env(env, "INITIAL_GPU_CACHE", "0", parse_percent),
                        from_env(env, "INITIAL_RUNNING", "0", parse_count),
                        from_env(env, "INITIAL_WAITING", "0", parse_count),
                        from_env(env, "INITIAL_CPU", "0m", parse_millicores),
                        from_env(env, "INITIAL_MEMORY", "0", parse_bytes))
    return server_for(app, host, port)


def main(argv: list[str] | None = None) -> None:
    mockhttp.main("metrics_server", __doc__, DEFAULT_PORT, create_server, argv)


if __name__ == "__main__":
    main()
