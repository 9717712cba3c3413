"""learning-metrics-server: vLLM and GPU metrics that follow traffic patterns and time of day.

The learning, accuracy and prediction scalers scrape this server's pods (port 8000),
so the patterns and simulated time set here reach the controller.

    GET /metrics   recomputed on every read (fresh noise) unless in manual mode:
                   vllm:gpu_cache_usage_perc (a 0-1 FRACTION, as real vLLM serves it),
                   vllm:num_requests_running, vllm:num_requests_waiting,
                   vllm:avg_generation_throughput_toks_per_s (label model_name="mock-model"),
                   the old suite's underscore names vllm_gpu_cache_usage_perc (PERCENT),
                   vllm_num_requests_running, vllm_num_requests_waiting,
                   vllm_avg_generation_throughput_toks_per_s, and
                   gpu_memory_utilization, gpu_compute_utilization (percent, label gpu="0")
    GET /set_pattern?mode=M&duration=S
                   M in normal, kv_pressure, batch_spike, traffic_drain; S seconds > 0 (default 60).
                   The pattern restarts now and never ends on its own.
    GET /set_time?hour=H&day=D
                   H integer 0..23, D integer 0..6 (Sunday = 0; optional, keeps the current day):
                   from now on the simulated clock reads H:00 on day D and runs on
    GET /set?gpu_cache=F&requests_running=N&requests_waiting=N
                   any non-empty subset; switches to mode "manual" (values then stay as set).
                   gpu_cache is in PERCENT 0..100, like the simulator's sidecar; /metrics
                   serves it as F/100 under vllm:gpu_cache_usage_perc
    GET /status    JSON: pattern_mode, pattern_elapsed_seconds, simulated_hour, simulated_day,
                   seasonal_factor and the last computed values
    GET /health, /ready   200 "OK"

Time comes from the injected clock: simulated time = clock + an offset (0 until /set_time),
read in UTC. Noise comes from random.Random(seed), seed from the argument, else env SEED,
else 0, so the same requests at the same clock readings give the same values.
Standard library and the sibling mockhttp.py only; the port from env PORT or --port
(default 8000).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Callable, Mapping

import mockhttp
from mockhttp import JSON, PROMETHEUS, TEXT, BadRequest, ok, parse_count, parse_query, server_for

DEFAULT_PORT = 8000
MODES = ("normal", "kv_pressure", "batch_spike", "traffic_drain")
DEFAULT_DURATION = 60.0
SET_PARAMETERS = ("gpu_cache", "requests_running", "requests_waiting")
PERCENTS = ("gpu_cache", "gpu_memory", "gpu_compute")
COUNTS = ("requests_running", "requests_waiting")
DAY = 86400.0
EPOCH_WEEKDAY = 4  # 1970-01-01 was a Thursday; Sunday = 0
MODEL = 'model_name="mock-model"'
GPU = 'gpu="0"'
METRICS = (  # name, labels, value key, help
    ("vllm:gpu_cache_usage_perc", MODEL, "gpu_cache_fraction", "GPU KV-cache usage as a 0-1 fraction."),
    ("vllm:num_requests_running", MODEL, "requests_running", "Requests currently running."),
    ("vllm:num_requests_waiting", MODEL, "requests_waiting", "Requests waiting in the queue."),
    ("vllm:avg_generation_throughput_toks_per_s", MODEL, "throughput", "Generation throughput (tokens/s)."),
    ("vllm_gpu_cache_usage_perc", MODEL, "gpu_cache", "GPU KV-cache usage in percent (old name)."),
    ("vllm_num_requests_running", MODEL, "requests_running", "Requests running (old name)."),
    ("vllm_num_requests_waiting", MODEL, "requests_waiting", "Requests waiting (old name)."),
    ("vllm_avg_generation_throughput_toks_per_s", MODEL, "throughput", "Throughput (old name)."),
    ("gpu_memory_utilization", GPU, "gpu_memory", "GPU memory utilization in percent."),
    ("gpu_compute_utilization", GPU, "gpu_compute", "GPU compute utilization in percent."),
)


def seasonal_factor(hour: int) -> float:
    """Traffic multiplier by hour: morning rush, afternoon peak, night low."""
    if 9 <= hour <= 11:
        return 1.5
    if 14 <= hour <= 17:
        return 1.8
    if hour >= 23 or hour <= 6:
        return 0.3
    return 1.0


def normal(f: float, elapsed: float, duration: float, u) -> dict[str, float]:
    return {"gpu_cache": 40 + 20 * f + u(-5, 5), "requests_running": 8 * f + u(-2, 2),
            "requests_waiting": 2 * f + u(0, 3), "throughput": 80 * f + u(-10, 10),
            "gpu_memory": 50 + 15 * f + u(-5, 5), "gpu_compute": 40 + 20 * f + u(-5, 5)}


def kv_pressure(f: float, elapsed: float, duration: float, u) -> dict[str, float]:
    return {"gpu_cache": u(85, 95), "requests_running": 20 + u(-3, 3),
            "requests_waiting": 15 + u(-2, 5), "throughput": 60 + u(-10, 10),
            "gpu_memory": 90 + u(-5, 5), "gpu_compute": 85 + u(-5, 5)}


def batch_spike(f: float, elapsed: float, duration: float, u) -> dict[str, float]:
    s = 2.5 if elapsed < duration / 2 else 1.5
    return {"gpu_cache": 60 + 15 * s + u(-5, 5), "requests_running": 15 * s,
            "requests_waiting": 8 * s, "throughput": 70 * s,
            "gpu_memory": 60 + 15 * s, "gpu_compute": 50 + 20 * s}


def traffic_drain(f: float, elapsed: float, duration: float, u) -> dict[str, float]:
    d = max(0.2, 1 - elapsed / duration)
    return {"gpu_cache": 50 * d + u(-5, 5), "requests_running": 10 * d,
            "requests_waiting": 2 * d, "throughput": 80 * d,
            "gpu_memory": 55 * d, "gpu_compute": 45 * d}


PATTERNS = {"normal": normal, "kv_pressure": kv_pressure, "batch_spike": batch_spike,
            "traffic_drain": traffic_drain}


def clamp(values: dict[str, float]) -> dict[str, float]:
    """Percentages into 0..100, counts to whole requests >= 0, throughput >= 0."""
    out = {}
    for key, value in values.items():
        if key in PERCENTS:
            out[key] = round(min(100.0, max(0.0, value)), 3)
        elif key in COUNTS:
            out[key] = max(0, math.floor(value + 0.5))
        else:
            out[key] = round(max(0.0, value), 3)
    return out


def simulated_hour_day(t: float) -> tuple[int, int]:
    """UTC hour and weekday (Sunday = 0) of epoch seconds `t`."""
    return int(t % DAY // 3600), (int(t // DAY) + EPOCH_WEEKDAY) % 7


def parse_number(name: str, text: str, low: float, high: float, allowed: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise BadRequest(f"{name} must be {allowed}, got {text!r}")
    return value


def parse_int(name: str, text: str, low: int, high: float, allowed: str) -> int:
    if not re.fullmatch(r"[0-9]+", text) or not low <= int(text) <= high:
        raise BadRequest(f"{name} must be {allowed}, got {text!r}")
    return int(text)


def parse_percent(name: str, text: str) -> float:
    return parse_number(name, text, 0, 100, "a number from 0 to 100 (percent)")


SET_PARSERS = {"gpu_cache": parse_percent, "requests_running": parse_count,
               "requests_waiting": parse_count}


class LearningMetrics:
    """Pattern state, simulated time, the last computed values and the HTTP routes; thread-safe."""

    def __init__(self, clock: Callable[[], float], rng: random.Random):
        self._lock = threading.Lock()
        self._clock, self._rng = clock, rng
        self._mode, self._duration = "normal", DEFAULT_DURATION
        self._started = clock()
        self._offset = 0.0
        self._values = self._compute()

    def handle(self, path: str, query: str) -> tuple[int, str, str]:
        """(status, content type, body) for a GET."""
        with_query = {"/set": self.set, "/set_pattern": self.set_pattern, "/set_time": self.set_time}
        plain = {"/metrics": self.metrics, "/status": self.status, "/health": ok, "/ready": ok}
        if path in with_query:
            return with_query[path](query)
        if path in plain:
            return plain[path]()
        routes = ", ".join([*plain, *with_query])
        return 404, TEXT, f"not found: {path}; try {routes}\n"

    def set_pattern(self, query: str) -> tuple[int, str, str]:
        params = parse_query(query, ("mode", "duration"))
        mode = params.get("mode")
        if mode not in MODES:
            raise BadRequest(f"mode must be one of {', '.join(MODES)}, got {mode!r}"
                             " (mode manual is entered by /set)")
        text = params.get("duration", str(DEFAULT_DURATION))
        duration = parse_number("duration", text, 0, math.inf, "a number of seconds > 0")
        if duration == 0:
            raise BadRequest(f"duration must be a number of seconds > 0, got {text!r}")
        with self._lock:
            self._mode, self._duration, self._started = mode, duration, self._clock()
        return ok()

    def set_time(self, query: str) -> tuple[int, str, str]:
        params = parse_query(query, ("hour", "day"))
        if "hour" not in params:
            raise BadRequest("hour is required: an integer 0..23 (day optional: 0..6, Sunday = 0)")
        hour = parse_int("hour", params["hour"], 0, 23, "an integer 0..23")
        day = None
        if "day" in params:
            day = parse_int("day", params["day"], 0, 6, "an integer 0..6 (Sunday = 0)")
        with self._lock:
            real = self._clock()
            now = real + self._offset
            current_day = simulated_hour_day(now)[1]
            target_day = current_day if day is None else day
            target = now - now % DAY + (target_day - current_day) * DAY + hour * 3600
            self._offset = target - real
        return ok()

    def set(self, query: str) -> tuple[int, str, str]:
        params = parse_query(query, SET_PARAMETERS)
        if not params:
            raise BadRequest(f"/set needs at least one of: {', '.join(SET_PARAMETERS)}"
                             " (gpu_cache in percent 0..100)")
        # Parse everything first so a bad value leaves the state unchanged.
        update = {name: SET_PARSERS[name](name, text) for name, text in params.items()}
        with self._lock:
            # Values not given keep their last computed value: manual mode freezes them.
            self._values.update(update)
            self._mode, self._started = "manual", self._clock()
        return ok()

    def metrics(self) -> tuple[int, str, str]:
        with self._lock:
            if self._mode != "manual":
                self._values = self._compute()
            values = dict(self._values, gpu_cache_fraction=round(self._values["gpu_cache"] / 100, 5))
        lines = []
        for name, labels, key, help_text in METRICS:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge",
                      f"{name}{{{labels}}} {values[key]}"]
        return 200, PROMETHEUS, "\n".join(lines) + "\n"

    def status(self) -> tuple[int, str, str]:
        with self._lock:
            now = self._clock()
            hour, day = simulated_hour_day(now + self._offset)
            v = self._values
            body = {"pattern_mode": self._mode,
                    "pattern_elapsed_seconds": round(now - self._started, 3),
                    "pattern_duration_seconds": self._duration,
                    "simulated_hour": hour, "simulated_day": day,
                    "seasonal_factor": seasonal_factor(hour),
                    "gpu_cache_usage": v["gpu_cache"], "requests_running": v["requests_running"],
                    "requests_waiting": v["requests_waiting"],
                    "avg_generation_throughput_toks_per_s": v["throughput"],
                    "gpu_memory_utilization": v["gpu_memory"],
                    "gpu_compute_utilization": v["gpu_compute"]}
        return 200, JSON, json.dumps(body)

    def _compute(self) -> dict[str, float]:
        """Fresh values for the current pattern; the caller holds the lock (or is __init__)."""
        now = self._clock()
        hour, _ = simulated_hour_day(now + self._offset)
        pattern = PATTERNS[self._mode]
        return clamp(pattern(seasonal_factor(hour), now - self._started, self._duration,
                             self._rng.uniform))


def seed_from(env: Mapping[str, str], seed: int | None) -> int:
    if seed is not None:
        return seed
    text = env.get("SEED", "0")
    if not re.fullmatch(r"-?[0-9]+", text):
        raise ValueError(f"environment variable SEED must be an integer, got {text!r}")
    return int(text)


def create_server(host: str, port: int, env: Mapping[str, str] | None = None,
                  clock: Callable[[], float] = time.time, seed: int | None = None
                  ) -> ThreadingHTTPServer:
    """A server bound to (host, port), not yet serving."""
    env = os.environ if env is None else env
    app = LearningMetrics(clock, random.Random(seed_from(env, seed)))
    return server_for(app, host, port)


def main(argv: list[str] | None = None) -> None:
    mockhttp.main("learning_metrics", __doc__, DEFAULT_PORT, create_server, argv)


if __name__ == "__main__":
    main()
