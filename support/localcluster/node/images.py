"""Emulated container images (the cluster's wiring registers them in its ImageRegistry).

`ghcr.io/llm-d/llm-d-inference-sim` — the llm-d inference simulator, as far as
the suite uses it: vLLM-style Prometheus metrics (fixed by `--fake-metrics`,
otherwise those of the requests it serves), /health and /ready, an OpenAI-style
/v1/models and canned /v1/chat/completions and /v1/completions answers.

The requests it serves are the client load the cluster's request network hands
this pod (`request_network`: a vLLM engine per pod, computed on the cluster clock
from the requests the pod received, with the simulator's flags `--max-num-seqs`,
`--kv-cache-size`, `--block-size`, `--time-to-first-token` and `--inter-token-latency`
in milliseconds, as the simulator reads them), plus chat completions sent to it over
HTTP. On a real clock (the project's control plane runs this image as a process) the
requests come over HTTP only, and the simulator serves them as the real one does: each
through its own engine, answered when the engine has generated it, so its metrics
follow from them. On the virtual clock an HTTP request is answered at once (holding it
would wait on a clock only the suite moves) and counted as running while it is.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from support.reference.vllm_engine import Engine, EngineMetrics, EngineParams, Request, RequestTooLarge
from support.localcluster.node.containers import ContainerContext, ImageRegistry, Runner, RunningContainer, ServerContainer

LLM_D_SIM = "ghcr.io/llm-d/llm-d-inference-sim"

# --fake-metrics keys the simulator documents, plus spellings people write.
_FAKE_KEYS = {
    "running": ("running-requests", "running_requests", "running", "num_requests_running"),
    "waiting": ("waiting-requests", "waiting_requests", "waiting", "num_requests_waiting"),
    "kv_cache": ("kv-cache-usage", "kv_cache_usage", "kv-cache", "gpu_cache_usage_perc", "gpu-cache-usage"),
}


@dataclass
class SimConfig:
    port: int
    model: str
    fake: dict[str, float] = field(default_factory=dict)
    engine: EngineParams = field(default_factory=EngineParams)


def parse_sim_args(args: list[str], default_port: int = 8000) -> SimConfig:
    """`--name=value` or `--name value`; unknown flags ignored, bad --fake-metrics ignored."""
    options = _options(args)
    return SimConfig(port=_int(options.get("port"), default_port),
                     model=options.get("model") or options.get("served-model-name") or "unknown-model",
                     fake=parse_fake_metrics(options.get("fake-metrics", "")),
                     engine=parse_engine(options))


def parse_engine(options: dict[str, str]) -> EngineParams:
    """The engine the simulator's flags describe; a flag missing or not a number keeps the default."""
    default = EngineParams()
    engine = EngineParams(
        max_num_seqs=_int(options.get("max-num-seqs"), default.max_num_seqs),
        kv_cache_blocks=_int(options.get("kv-cache-size"), default.kv_cache_blocks),
        block_size=_int(options.get("block-size"), default.block_size),
        time_to_first_token=_int(options.get("time-to-first-token"), round(default.time_to_first_token * 1000)) / 1000,
        inter_token_latency=_int(options.get("inter-token-latency"), round(default.inter_token_latency * 1000)) / 1000)
    return engine


def engine_params(container: dict) -> EngineParams | None:
    """The engine of an inference simulator container (the request network's `engine_of`); None for others."""
    if not container.get("image", "").startswith(LLM_D_SIM):
        return None
    words = list(container.get("command") or []) + list(container.get("args") or [])
    try:
        return parse_engine(_options(words))
    except ValueError:  # a flag out of range (e.g. --max-num-seqs=0): the simulator's defaults
        return EngineParams()


def _options(args: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    words = iter(args)
    for word in words:
        if not word.startswith("--"):
            continue
        name, has_value, value = word[2:].partition("=")
        if not has_value:
            value = next(words, "")
        options[name] = value
    return options


def parse_fake_metrics(text: str) -> dict[str, float]:
    try:
        raw = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    fake = {}
    for key, spellings in _FAKE_KEYS.items():
        for spelling in spellings:
            if isinstance(raw.get(spelling), (int, float)):
                fake[key] = float(raw[spelling])
                break
    return fake


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


class InferenceSim:
    """The simulator's state: its config, its engine's client load and the HTTP requests in flight."""

    def __init__(self, config: SimConfig, now: Callable[[], float],
                 engine: Callable[[], EngineMetrics | None] = lambda: None, paced: bool = False):
        self.config, self.now, self.engine = config, now, engine
        self._in_flight = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._paced = PacedEngine(config.engine, now) if paced else None

    def metrics(self) -> str:
        fake, label = self.config.fake, f'{{model_name="{self.config.model}"}}'
        load = self._paced.metrics() if self._paced else self.engine() or EngineMetrics(0, 0, 0.0)
        values = [("vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.",
                   fake.get("kv_cache", load.kv_cache_usage)),
                  ("vllm:num_requests_running", "Number of requests currently running on GPU.",
                   fake.get("running", load.running + self._in_flight)),
                  ("vllm:num_requests_waiting", "Number of requests waiting to be processed.",
                   fake.get("waiting", load.waiting))]
        lines = []
        for name, help_text, value in values:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name}{label} {_number(value)}"]
        return "\n".join(lines) + "\n"

    def models(self) -> dict:
        return {"object": "list", "data": [{"id": self.config.model, "object": "model", "created": int(self.now()),
                                            "owned_by": "vllm", "root": self.config.model, "parent": None}]}

    def complete(self, request: dict, chat: bool) -> dict:
        """The answer to a completion request; raises RequestTooLarge (a 400) for one the cache cannot hold."""
        prompt_tokens = len(json.dumps(request.get("messages") or request.get("prompt") or "").split())
        with self._lock:
            number = next(self._ids)
            if not self._paced:
                self._in_flight += 1
        try:
            if self._paced:
                self._paced.serve(Request(number, self.now(), prompt_tokens, _max_tokens(request)))
            text = "This is a simulated response from the embedded llm-d inference simulator."
            choice = ({"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                      if chat else {"index": 0, "text": text, "finish_reason": "stop"})
            return {"id": f"{'chatcmpl' if chat else 'cmpl'}-{number}",
                    "object": "chat.completion" if chat else "text_completion",
                    "created": int(self.now()), "model": self.config.model, "choices": [choice],
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(text.split()),
                              "total_tokens": prompt_tokens + len(text.split())}}
        finally:
            with self._lock:
                if not self._paced:
                    self._in_flight -= 1


DEFAULT_MAX_TOKENS = 16  # an OpenAI completion's default; chat requests of the load generator name theirs


def _max_tokens(request: dict) -> int:
    value = request.get("max_completion_tokens", request.get("max_tokens", DEFAULT_MAX_TOKENS))
    return value if isinstance(value, int) and value >= 1 else DEFAULT_MAX_TOKENS


class PacedEngine:
    """One engine serving HTTP requests on a real clock: `serve` returns when the request is generated."""

    def __init__(self, params: EngineParams, now: Callable[[], float]):
        self._engine, self._now = Engine(params), now
        self._done: set[int] = set()
        self._changed = threading.Condition()

    def serve(self, request: Request) -> None:
        with self._changed:
            self._record(self._engine.submit(request, self._now()))
            while request.id not in self._done:
                now = self._now()
                self._record(self._engine.advance(now))
                if request.id in self._done:
                    break
                finish = self._engine.next_finish()
                self._changed.wait(timeout=1.0 if finish is None else max(0.001, finish - now))
            self._done.discard(request.id)

    def metrics(self) -> EngineMetrics:
        with self._changed:
            now = self._now()
            self._record(self._engine.advance(now))
            return self._engine.metrics(now)

    def _record(self, completions) -> None:
        if completions:
            self._done.update(c.request.id for c in completions)
            self._changed.notify_all()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class _SimHandler(BaseHTTPRequestHandler):
    """HTTP for an InferenceSim found at `self.server.sim`."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        sim, path = self.server.sim, self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, sim.metrics(), "text/plain; version=0.0.4")
        elif path in ("/health", "/ready"):
            self._send(200, "OK", "text/plain")
        elif path == "/v1/models":
            self._json(200, sim.models())
        else:
            self._json(404, _error(f"no route for GET {path}", "NotFoundError"))

    def do_POST(self) -> None:
        sim, path = self.server.sim, self.path.split("?", 1)[0]
        if path not in ("/v1/chat/completions", "/v1/completions"):
            self._json(404, _error(f"no route for POST {path}", "NotFoundError"))
            return
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            self._json(400, _error("the request body must be a JSON object", "BadRequestError"))
        elif request.get("model", sim.config.model) != sim.config.model:
            self._json(404, _error(f"The model `{request['model']}` does not exist.", "NotFoundError"))
        else:
            try:
                answer = sim.complete(request, chat=path.endswith("chat/completions"))
            except RequestTooLarge as error:
                self._json(400, _error(str(error), "BadRequestError"))
                return
            self._json(200, answer)

    def _json(self, code: int, body: dict) -> None:
        self._send(code, json.dumps(body), "application/json")

    def _send(self, code: int, text: str, content_type: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _error(message: str, kind: str) -> dict:
    return {"error": {"message": message, "type": kind, "code": None}}


_builds: dict[str, Runner] = {}


def register_build(prefix: str, runner: Runner) -> None:
    """Another build of an emulated image for embedded clusters wired from now on (the mutation tests'
    broken simulators, as `controller.register` is for the controller image)."""
    _builds[prefix] = runner


def emulated() -> ImageRegistry:
    """A registry of the images the embedded cluster emulates (what a node runs besides python:* programs)."""
    registry = ImageRegistry()
    registry.register(LLM_D_SIM, _builds.get(LLM_D_SIM, run_inference_sim))
    return registry


def run_inference_sim(ctx: ContainerContext) -> RunningContainer:
    config = parse_sim_args(ctx.args, ctx.ports[0] if ctx.ports else 8000)
    network, pod = ctx.network, ctx.pod["metadata"]["name"]
    paced = network is None and not getattr(ctx.clock, "is_virtual", True)
    sim = InferenceSim(config, ctx.clock.now, (lambda: network.metrics(pod)) if network is not None else (lambda: None),
                       paced=paced)
    ctx.bind_port(config.port)
    server = ThreadingHTTPServer((ctx.ip, config.port), _SimHandler)
    server.sim = sim
    ctx.log(f"llm-d inference simulator (emulated) serving model {config.model} on {ctx.ip}:{config.port}, "
            f"fake metrics {config.fake or 'off'}")
    return ServerContainer(server, ctx.log)

