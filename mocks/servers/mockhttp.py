"""HTTP plumbing shared by the mock programs in this directory.

Every program here is an `app` with `handle(path, query) -> (status, content type, body)`
for a GET; this module serves it: a `BadRequest` from the app becomes HTTP 400 with its
message, nothing is logged per request, and `main` serves on 0.0.0.0 until Ctrl-C.

Standard library only. The programs import it as a sibling (`import mockhttp`), so it
travels with them: their program ConfigMap carries it next to the program (a pod runs
`python /app/<program>.py`, and Python puts /app on sys.path), the embedded cluster
imports it from the same mount, and `python mocks/servers/<program>.py` finds it here.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Mapping
from urllib.parse import parse_qs, urlsplit

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"

class BadRequest(ValueError):
    """A parameter is missing or out of range; the message becomes the 400 body."""


def ok() -> tuple[int, str, str]:
    return 200, TEXT, "OK"


def parse_query(query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """One value per parameter, only `allowed` names."""
    params = parse_qs(query, keep_blank_values=True)
    for name, values in params.items():
        if name not in allowed:
            raise BadRequest(f"unknown parameter {name!r}; allowed: {', '.join(allowed)}")
        if len(values) > 1:
            raise BadRequest(f"parameter {name!r} given more than once")
    return {name: values[0] for name, values in params.items()}


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


def parse_millicores(name: str, text: str) -> int:
    """CPU in millicores: `250m` or a whole number of millicores (`250`)."""
    digits = text[:-1] if text.endswith("m") else text
    if not re.fullmatch(r"[0-9]+", digits):
        raise BadRequest(f"{name} must be millicores (e.g. 250m), got {text!r}")
    return int(digits)


MEMORY_UNITS = {"": 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}


def parse_bytes(name: str, text: str) -> int:
    """Memory in bytes: a whole number of bytes, or of Ki, Mi or Gi (`64Mi`)."""
    match = re.fullmatch(r"([0-9]+)(Ki|Mi|Gi)?", text)
    if not match:
        raise BadRequest(f"{name} must be bytes, or Ki, Mi or Gi (e.g. 64Mi), got {text!r}")
    return int(match.group(1)) * MEMORY_UNITS[match.group(2) or ""]


def usage(cpu_millicores: int, memory_bytes: int | None = None) -> tuple[int, str, str]:
    """GET /usage: the CPU (and memory, if the program declares it) the program says it uses, as the
    embedded node reads it for the metrics API.

    A process cannot be measured per pod on the embedded cluster (every program runs in one
    Python process), so the program declares the usage a test set; the node reports it as a
    kubelet reports what cAdvisor measured.
    """
    declared = {"cpu": f"{cpu_millicores}m"}
    if memory_bytes is not None:
        declared["memory"] = str(memory_bytes)
    return 200, JSON, json.dumps(declared)


def from_env(env: Mapping[str, str], name: str, default: str, parse: Callable[[str, str], object]):
    """Parse an initial value; a malformed one is a ValueError naming the variable."""
    try:
        return parse(name, env.get(name, default))
    except BadRequest as exc:
        raise ValueError(f"environment variable {exc}") from None


class SettableGauges:
    """Gauges a test sets with /set and reads as Prometheus text on /metrics; thread-safe.

    Subclasses name their `gauges` ((metric, value key, help) triples), their `labels`,
    which keys /set takes (`settable`) and how each is parsed (`parse`). /set validates
    every parameter before changing anything, so a bad value leaves the state as it was.
    """

    gauges: tuple[tuple[str, str, str], ...] = ()
    labels: str = ""
    settable: tuple[str, ...] = ()

    def __init__(self, values: Mapping[str, object]):
        self._lock = threading.Lock()
        self._values = dict(values)

    def parse(self, name: str, text: str, current: Mapping[str, object]) -> object:
        raise NotImplementedError

    def format(self, value: object) -> str:
        return str(value)

    def routes(self) -> dict[str, Callable[[], tuple[int, str, str]]]:
        return {"/metrics": self.metrics, "/status": self.status, "/health": ok, "/ready": ok}

    def handle(self, path: str, query: str) -> tuple[int, str, str]:
        """(status, content type, body) for a GET."""
        routes = self.routes()
        if path == "/set":
            return self.set(query)
        if path in routes:
            return routes[path]()
        listed = list(routes)
        listed.insert(listed.index("/status"), "/set")
        return 404, TEXT, f"not found: {path}; try {', '.join(listed)}\n"

    def set(self, query: str) -> tuple[int, str, str]:
        params = parse_query(query, self.settable)
        if not params:
            raise BadRequest(f"/set needs at least one of: {', '.join(self.settable)}")
        current = self.values()
        update = {name: self.parse(name, text, current) for name, text in params.items()}
        with self._lock:
            self._values.update(update)
        return ok()

    def values(self) -> dict[str, object]:
        with self._lock:
            return dict(self._values)

    def metrics(self) -> tuple[int, str, str]:
        values = self.values()
        lines = []
        for metric, key, help_text in self.gauges:
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} gauge",
                      f"{metric}{{{self.labels}}} {self.format(values[key])}"]
        return 200, PROMETHEUS, "\n".join(lines) + "\n"

    def status(self) -> tuple[int, str, str]:
        return 200, JSON, json.dumps(self.values())


def handler_for(app) -> type[BaseHTTPRequestHandler]:
    """A request handler serving `app.handle(path, query)`, quietly."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a scraper reuses its connection (every reply has a length)
        disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall

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


def server_for(app, host: str, port: int) -> ThreadingHTTPServer:
    """A server of `app` bound to (host, port), not yet serving; request threads are daemons."""
    server = ThreadingHTTPServer((host, port), handler_for(app))
    server.app = app  # main() burns the CPU the app declares (see burn_declared_cpu)
    server.daemon_threads = True
    server.block_on_close = False  # closing must not wait for kept-alive connections to end
    return server


def burn_declared_cpu(app, stop: threading.Event, slice_seconds: float = 0.1,
                      clock: Callable[[], float] = time.monotonic) -> None:
    """Use the CPU the app declares (its `cpu` value, millicores; one core at most), until `stop` is set.

    Run only by `main`: in a pod of a real cluster the metrics-server then measures the usage a
    test set. The embedded cluster imports the program and reads the declared value instead.
    """
    while not stop.is_set():
        values = app.values() if hasattr(app, "values") else {}
        share = min(max(int(values.get("cpu", 0) or 0), 0), 1000) / 1000
        busy_until = clock() + share * slice_seconds
        while clock() < busy_until:
            pass
        stop.wait(slice_seconds * (1 - share))


def hold_declared_memory(app, stop: threading.Event, check_seconds: float = 0.5,
                         allocate: Callable[[int], object] = lambda size: b"\x01" * size) -> None:
    """Keep the memory the app declares (its `memory` value, bytes) resident, until `stop` is set.

    Run only by `main`, as `burn_declared_cpu`: on a real cluster the metrics-server then
    measures what a test set (on top of what the interpreter itself uses). The bytes are
    written, not merely reserved, so their pages are resident.
    """
    held, size = allocate(0), 0
    while not stop.is_set():
        wanted = max(int(app.values().get("memory", 0) or 0), 0)
        if wanted != size:
            held = None  # let the old bytes go before taking the new ones
            held, size = allocate(wanted), wanted
        stop.wait(check_seconds)
    del held


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(name: str, doc: str, default_port: int,
         create_server: Callable[..., ThreadingHTTPServer], argv: list[str] | None = None) -> None:
    """A program's main: the port from --port, else env PORT, else `default_port`; serve until Ctrl-C or SIGTERM.

    In a pod the program is PID 1, which gets no default signal handling: without its own
    SIGTERM handler every pod deletion would wait out the whole grace period.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", default_port)))
    args = parser.parse_args(argv)
    server = create_server("0.0.0.0", args.port)
    stop_burning = threading.Event()
    app = getattr(server, "app", None)
    if app is not None and "cpu" in getattr(app, "settable", ()):
        threading.Thread(target=burn_declared_cpu, args=(app, stop_burning), daemon=True).start()
    if app is not None and "memory" in getattr(app, "settable", ()):
        threading.Thread(target=hold_declared_memory, args=(app, stop_burning), daemon=True).start()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        print(f"{name} serving on 0.0.0.0:{args.port}", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        print(f"{name} stopping", flush=True)
    finally:
        stop_burning.set()
        server.server_close()
