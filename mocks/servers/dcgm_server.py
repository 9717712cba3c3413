"""mock-dcgm-exporter: the DCGM gauges of one or more GPUs, settable over HTTP.

BudAIScaler's GPU step reads http://mock-dcgm-exporter.<namespace>.svc.cluster.local:9400/metrics
(a hard-coded URL), so this mock runs as Deployment and Service `mock-dcgm-exporter`.

    GET /metrics   per GPU: DCGM_FI_DEV_GPU_UTIL (percent) and framebuffer memory (MiB) in
                   the chosen form: `total` DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_TOTAL (what
                   the controller reads), `free` FB_USED + DCGM_FI_DEV_FB_FREE (what a real
                   dcgm-exporter publishes), or `both`; labels
                   gpu="<n>",UUID="GPU-abc123[-<n>]",modelName="NVIDIA A100".
                   No GPUs: an empty 200 answer. Down: 503.
    GET /set?gpu_util=F&fb_used=F&gpu=N&gpus=N&memory_form=total|free|both&up=true|false
                   any non-empty subset. gpus (0..16) first sets how many GPUs there are (new
                   ones copy GPU 0, or the initial values); then gpu_util (0..100) and fb_used
                   (0..FB_TOTAL) go to GPU `gpu`, or to every GPU without it.
                   200 "OK", or 400 naming the parameter and nothing changed
    GET /status    the state as JSON
    GET /health, /ready   200 "OK"

Values are printed without exponent or sign: the controller only accepts [0-9.]+.
Standard library and the sibling mockhttp.py only. Initial values from env
INITIAL_GPU_UTIL (50), INITIAL_FB_USED (20000), FB_TOTAL (40000), GPU_COUNT (1),
MEMORY_FORM (total), MODEL_NAME (NVIDIA A100); the port from env PORT or --port (default 9400).
"""


import functools
import json
import math
import os
import re
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from http.server import ThreadingHTTPServer
from typing import Callable, Mapping

import mockhttp
from mockhttp import JSON, PROMETHEUS, TEXT, BadRequest, ok, parse_query, server_for

DEFAULT_PORT = 9400
MAX_GPUS = 16
MEMORY_FORMS = ("total", "free", "both")
SET_PARAMETERS = ("gpu_util", "fb_used", "gpu", "gpus", "memory_form", "up")
HELP = {
    "DCGM_FI_DEV_GPU_UTIL": "GPU utilization (in %).",
    "DCGM_FI_DEV_FB_USED": "Framebuffer memory used (in MiB).",
    "DCGM_FI_DEV_FB_TOTAL": "Framebuffer memory total (in MiB).",
    "DCGM_FI_DEV_FB_FREE": "Framebuffer memory free (in MiB).",
}
GAUGES_BY_FORM = {
    "total": ("DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_TOTAL"),
    "free": ("DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE"),
    "both": ("DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_TOTAL",
             "DCGM_FI_DEV_FB_FREE"),
}


def parse_number(name: str, text: str, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= high):
        allowed = ">= 0" if math.isinf(high) else f"from 0 to {plain(high)}"
        raise BadRequest(f"{name} must be a number {allowed}, got {text!r}")
    return value


def parse_choice(name: str, text: str, choices: tuple[str, ...]) -> str:
    if text not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}, got {text!r}")
    return text


def parse_gpu_count(name: str, text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text) or int(text) > MAX_GPUS:
        raise BadRequest(f"{name} must be a whole number from 0 to {MAX_GPUS}, got {text!r}")
    return int(text)


def plain(value: float) -> str:
    """A number as digits and at most one dot: 50, 20000, 12.5."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Gpu:
    gpu_util: float
    fb_used: float


@dataclass(frozen=True)
class State:
    gpus: tuple[Gpu, ...]
    fb_total: float
    memory_form: str = "total"
    up: bool = True
    model_name: str = "NVIDIA A100"
    initial: Gpu = field(default=Gpu(50.0, 20000.0), compare=False)


def uuid(index: int) -> str:
    return "GPU-abc123" if index == 0 else f"GPU-abc123-{index}"


class Dcgm:
    """The exporter's state and its HTTP routes; thread-safe."""

    def __init__(self, state: State):
        self._lock = threading.Lock()
        self._state = state

    def state(self) -> State:
        with self._lock:
            return self._state

    def handle(self, path: str, query: str) -> tuple[int, str, str]:
        routes = {"/metrics": self.metrics, "/status": self.status,
                  "/health": ok, "/ready": ok}
        if path == "/set":
            return self.set(query)
        if path in routes:
            return routes[path]()
        return 404, TEXT, f"not found: {path}; try /metrics, /set, /status, /health, /ready\n"

    def set(self, query: str) -> tuple[int, str, str]:
        params = parse_query(query, SET_PARAMETERS)
        if not params:
            raise BadRequest(f"/set needs at least one of: {', '.join(SET_PARAMETERS)}")
        with self._lock:
            self._state = updated(self._state, params)
        return ok()

    def metrics(self) -> tuple[int, str, str]:
        state = self.state()
        if not state.up:
            return 503, TEXT, "exporter down\n"
        if not state.gpus:
            return 200, PROMETHEUS, ""
        lines = []
        for gauge in GAUGES_BY_FORM[state.memory_form]:
            lines += [f"# HELP {gauge} {HELP[gauge]}", f"# TYPE {gauge} gauge"]
            for index, gpu in enumerate(state.gpus):
                labels = f'gpu="{index}",UUID="{uuid(index)}",modelName="{state.model_name}"'
                lines.append(f"{gauge}{{{labels}}} {plain(gauge_value(gauge, gpu, state))}")
        return 200, PROMETHEUS, "\n".join(lines) + "\n"

    def status(self) -> tuple[int, str, str]:
        state = self.state()
        return 200, JSON, json.dumps({
            "up": state.up, "memory_form": state.memory_form, "fb_total": state.fb_total,
            "gpus": [{"gpu": i, **asdict(g)} for i, g in enumerate(state.gpus)]})


def gauge_value(gauge: str, gpu: Gpu, state: State) -> float:
    return {"DCGM_FI_DEV_GPU_UTIL": gpu.gpu_util, "DCGM_FI_DEV_FB_USED": gpu.fb_used,
            "DCGM_FI_DEV_FB_TOTAL": state.fb_total,
            "DCGM_FI_DEV_FB_FREE": state.fb_total - gpu.fb_used}[gauge]


def updated(state: State, params: Mapping[str, str]) -> State:
    """The state after one /set; BadRequest (state untouched) on any bad parameter."""
    gpus = list(state.gpus)
    if "gpus" in params:
        count = parse_gpu_count("gpus", params["gpus"])
        template = gpus[0] if gpus else state.initial
        gpus = (gpus + [template] * count)[:count]
    targets = range(len(gpus))
    if "gpu" in params:
        index = params["gpu"]
        if not re.fullmatch(r"[0-9]+", index) or int(index) >= len(gpus):
            raise BadRequest(f"gpu must be a GPU number from 0 to {len(gpus) - 1}, got {index!r}")
        targets = [int(index)]
    changes = {}
    if "gpu_util" in params:
        changes["gpu_util"] = parse_number("gpu_util", params["gpu_util"], 100.0)
    if "fb_used" in params:
        changes["fb_used"] = parse_number("fb_used", params["fb_used"], state.fb_total)
    for index in targets:
        gpus[index] = replace(gpus[index], **changes)
    new = replace(state, gpus=tuple(gpus))
    if "memory_form" in params:
        new = replace(new, memory_form=parse_choice("memory_form", params["memory_form"], MEMORY_FORMS))
    if "up" in params:
        new = replace(new, up=parse_choice("up", params["up"], ("true", "false")) == "true")
    return new


def from_env(env: Mapping[str, str], name: str, default: str, high: float) -> float:
    """Parse an initial value; a malformed one is a ValueError naming the variable."""
    return mockhttp.from_env(env, name, default, functools.partial(parse_number, high=high))


def initial_state(env: Mapping[str, str]) -> State:
    fb_total = from_env(env, "FB_TOTAL", "40000", math.inf)
    gpu = Gpu(from_env(env, "INITIAL_GPU_UTIL", "50", 100.0),
              from_env(env, "INITIAL_FB_USED", "20000", fb_total))
    count = mockhttp.from_env(env, "GPU_COUNT", "1", parse_gpu_count)
    form = mockhttp.from_env(env, "MEMORY_FORM", "total",
                             functools.partial(parse_choice, choices=MEMORY_FORMS))
    return State((gpu,) * count, fb_total, form, True,
                 env.get("MODEL_NAME", "NVIDIA A100"), gpu)


def create_server(host: str, port: int, env: Mapping[str, str] | None = None,
                  clock: Callable[[], float] = time.time, seed: int | None = None
                  ) -> ThreadingHTTPServer:
    """A server bound to (host, port), not yet serving. `clock` and `seed` are unused here."""
    env = os.environ if env is None else env
    return server_for(Dcgm(initial_state(env)), host, port)


def main(argv: list[str] | None = None) -> None:
    mockhttp.main("dcgm_server", __doc__, DEFAULT_PORT, create_server, argv)


if __name__ == "__main__":
    main()
