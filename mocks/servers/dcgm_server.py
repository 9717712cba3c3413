"""mock-dcgm-exporter: one GPU's DCGM gauges, settable over HTTP.

BudAIScaler's GPU step reads http://mock-dcgm-exporter.<namespace>.svc.cluster.local:9400/metrics
(a hard-coded URL), so this mock runs as Deployment and Service `mock-dcgm-exporter`.

    GET /metrics   DCGM_FI_DEV_GPU_UTIL (percent), DCGM_FI_DEV_FB_USED and
                   DCGM_FI_DEV_FB_TOTAL (MB), labels gpu="0",UUID="GPU-abc123",modelName="NVIDIA A100"
    GET /set?gpu_util=F&fb_used=F
                   any non-empty subset; gpu_util 0..100, fb_used 0..FB_TOTAL;
                   200 "OK", or 400 and nothing changed
    GET /status    the values as JSON
    GET /health, /ready   200 "OK"

Values are printed without exponent or sign: the controller only accepts [0-9.]+.
Standard library only. Initial values from env INITIAL_GPU_UTIL (50),
INITIAL_FB_USED (20000), FB_TOTAL (40000); the port from env PORT or --port (default 9400).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Mapping
from urllib.parse import parse_qs, urlsplit

DEFAULT_PORT = 9400
LABELS = 'gpu="0",UUID="GPU-abc123",modelName="NVIDIA A100"'
SET_PARAMETERS = ("gpu_util", "fb_used")
METRICS = (
    ("DCGM_FI_DEV_GPU_UTIL", "gpu_util", "GPU utilization (in %)."),
    ("DCGM_FI_DEV_FB_USED", "fb_used", "Framebuffer memory used (in MiB)."),
    ("DCGM_FI_DEV_FB_TOTAL", "fb_total", "Framebuffer memory total (in MiB)."),
)


class BadRequest(ValueError):
    """A parameter is missing or out of range; the message becomes the 400 body."""


def parse_number(name: str, text: str, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= high):
        allowed = ">= 0" if math.isinf(high) else f"from 0 to {plain(high)}"
        raise BadRequest(f"{name} must be a number {allowed}, got {text!r}")
    return value


def plain(value: float) -> str:
    """A number as digits and at most one dot: 50, 20000, 12.5."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_query(query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """One value per parameter, only `allowed` names."""
    params = parse_qs(query, keep_blank_values=True)
    for name, values in params.items():
        if name not in allowed:
            raise BadRequest(f"unknown parameter {name!r}; allowed: {', '.join(allowed)}")
        if len(values) > 1:
            raise BadRequest(f"parameter {name!r} given more than once")
    return {name: values[0] for name, values in params.items()}


class Dcgm:
    """GPU utilization and framebuffer memory of GPU 0, and the HTTP routes; thread-safe."""

    def __init__(self, gpu_util: float, fb_used: float, fb_total: float):
        self._lock = threading.Lock()
        self._values = {"gpu_util": gpu_util, "fb_used": fb_used, "fb_total": fb_total}

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
        highs = {"gpu_util": 100.0, "fb_used": self._values["fb_total"]}
        # Parse everything first so a bad value leaves the state unchanged.
        update = {name: parse_number(name, text, highs[name]) for name, text in params.items()}
        with self._lock:
            self._values.update(update)
        return ok()

    def metrics(self) -> tuple[int, str, str]:
        with self._lock:
            values = dict(self._values)
        lines = []
        for metric, key, help_text in METRICS:
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} gauge",
                      f"{metric}{{{LABELS}}} {plain(values[key])}"]
        return 200, PROMETHEUS, "\n".join(lines) + "\n"

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


def from_env(env: Mapping[str, str], name: str, default: str, high: float) -> float:
    """Parse an initial value; a malformed one is a ValueError naming the variable."""
    try:
        return parse_number(name, env.get(name, default), high)
    except BadRequest as exc:
        raise ValueError(f"environment variable {exc}") from None


def create_server(host: str, port: int, env: Mapping[str, str] | None = None,
                  clock: Callable[[], float] = time.time, seed: int | None = None
                  ) -> ThreadingHTTPServer:
    """A server bound to (host, port), not yet serving. `clock` and `seed` are unused here."""
    env = os.environ if env is None else env
    fb_total = from_env(env, "FB_TOTAL", "40000", math.inf)
    app = Dcgm(from_env(env, "INITIAL_GPU_UTIL", "50", 100.0),
               from_env(env, "INITIAL_FB_USED", "20000", fb_total), fb_total)
    server = ThreadingHTTPServer((host, port), handler_for(app))
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    args = parser.parse_args(argv)
    server = create_server("0.0.0.0", args.port)
    print(f"dcgm_server serving on 0.0.0.0:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
