"""mock-prometheus: Prometheus's instant-query API with the answers a test sets.

What a `prometheus` metric source reads. A query it has no answer for is an empty
vector, as Prometheus answers for series that do not exist.

    GET /api/v1/query?query=Q    {"status": "success", "data": {"resultType": "vector", "result":
                                  [{"metric": {}, "value": [<now>, "<value>"]}]}} (or "result": []);
                                  no query: 400 {"status": "error", "errorType": "bad_data", ...}
    GET /set?query=Q&value=V     answer Q with V from now on (a number); 200 "OK", or 400
    GET /status                  the answers as JSON
    GET /health, /ready          200 "OK"

Standard library and the sibling mockhttp.py only: it runs as `python prometheus_query.py`
in a python:3.11-slim pod from a ConfigMap, and the local cluster imports it and calls
create_server. The port from env PORT or --port (default 9090).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Callable, Mapping

import mockhttp
from mockhttp import JSON, TEXT, BadRequest, ok, parse_query, server_for

DEFAULT_PORT = 9090


class PrometheusQueries:
    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._answers: dict[str, float] = {}
        self._lock = threading.Lock()

    def handle(self, path: str, query: str) -> tuple[int, str, str]:
        if path == "/api/v1/query":
            return self.query(query)
        if path == "/set":
            return self.set(query)
        if path == "/status":
            with self._lock:
                return 200, JSON, json.dumps(self._answers)
        if path in ("/health", "/ready"):
            return ok()
        return 404, TEXT, f"not found: {path}; try /api/v1/query, /set, /status, /health, /ready\n"

    def query(self, query: str) -> tuple[int, str, str]:
        params = parse_query(query, ("query", "time", "timeout"))
        promql = params.get("query", "")
        if not promql:
            return 400, JSON, json.dumps({"status": "error", "errorType": "bad_data",
                                          "error": 'invalid parameter "query": empty query'})
        with self._lock:
            value = self._answers.get(promql)
        result = [] if value is None else [{"metric": {}, "value": [round(self._clock(), 3), _text(value)]}]
        return 200, JSON, json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})

    def set(self, query: str) -> tuple[int, str, str]:
        params = parse_query(query, ("query", "value"))
        if not params.get("query") or "value" not in params:
            raise BadRequest("/set needs query=<PromQL> and value=<number>")
        try:
            value = float(params["value"])
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise BadRequest(f"value must be a number, got {params['value']!r}")
        with self._lock:
            self._answers[params["query"]] = value
        return ok()


def _text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def create_server(host: str, port: int, env: Mapping[str, str] | None = None,
                  clock: Callable[[], float] = time.time, seed: int | None = None) -> ThreadingHTTPServer:
    """A server bound to (host, port), not yet serving; sample timestamps from `clock`. `env`, `seed` unused."""
    return server_for(PrometheusQueries(clock), host, port)


def main(argv: list[str] | None = None) -> None:
    mockhttp.main("prometheus_query", __doc__, DEFAULT_PORT, create_server, argv)


if __name__ == "__main__":
    main()
