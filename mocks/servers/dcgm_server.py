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
Standard library and the sibling mockhttp.py only. Initial values from env
INITIAL_GPU_UTIL (50), INITIAL_FB_USED (20000), FB_TOTAL (40000); the port from env PORT
or --port (default 9400).
"""

from __future__ import annotations

import functools
import math
import os
import time
from http.server import ThreadingHTTPServer
from typing import Callable, Mapping

import mockhttp
from mockhttp import BadRequest, SettableGauges, server_for

DEFAULT_PORT = 9400
LABELS = 'gpu="0",UUID="GPU-abc123",modelName="NVIDIA A100"'
SET_PARAMETERS = ("gpu_util", "fb_used")
METRICS = (
    ("DCGM_FI_DEV_GPU_UTIL", "gpu_util", "GPU utilization (in %)."),
    ("DCGM_FI_DEV_FB_USED", "fb_used", "Framebuffer memory used (in MiB)."),
    ("DCGM_FI_DEV_FB_TOTAL", "fb_total", "Framebuffer memory total (in MiB)."),
)


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


class Dcgm(SettableGauges):
    """GPU utilization and framebuffer memory of GPU 0, and the HTTP routes."""

    gauges, labels, settable = METRICS, LABELS, SET_PARAMETERS

    def __init__(self, gpu_util: float, fb_used: float, fb_total: float):
        super().__init__({"gpu_util": gpu_util, "fb_used": fb_used, "fb_total": fb_total})

    def parse(self, name: str, text: str, current: Mapping[str, object]) -> object:
        highs = {"gpu_util": 100.0, "fb_used": current["fb_total"]}
        return parse_number(name, text, highs[name])

    def format(self, value: object) -> str:
        return plain(value)


def from_env(env: Mapping[str, str], name: str, default: str, high: float) -> float:
    """Parse an initial value; a malformed one is a ValueError naming the variable."""
    return mockhttp.from_env(env, name, default, functools.partial(parse_number, high=high))


def create_server(host: str, port: int, env: Mapping[str, str] | None = None,
                  clock: Callable[[], float] = time.time, seed: int | None = None
                  ) -> ThreadingHTTPServer:
    """A server bound to (host, port), not yet serving. `clock` and `seed` are unused here."""
    env = os.environ if env is None else env
    fb_total = from_env(env, "FB_TOTAL", "40000", math.inf)
    app = Dcgm(from_env(env, "INITIAL_GPU_UTIL", "50", 100.0),
               from_env(env, "INITIAL_FB_USED", "20000", fb_total), fb_total)
    return server_for(app, host, port)


def main(argv: list[str] | None = None) -> None:
    mockhttp.main("dcgm_server", __doc__, DEFAULT_PORT, create_server, argv)


if __name__ == "__main__":
    main()
