"""One vLLM-style inference server under request load (issue 9 item 6).

What a real vLLM (or the llm-d inference simulator in its non-fake mode) reports is
a consequence of the requests it serves: ``vllm:num_requests_running``,
``vllm:num_requests_waiting`` and ``vllm:gpu_cache_usage_perc`` (a 0..1 fraction).
This module turns requests into those numbers, deterministically, on a time that
is a parameter:

- Requests are served first come, first served. One starts when fewer than
  ``max_num_seqs`` run and the KV-cache blocks its whole sequence will need
  (``ceil((prompt + output tokens) / block_size)``) fit beside the blocks the running
  requests reserved. (vLLM allocates blocks as tokens are generated and preempts a
  request when they run out; reserving up front admits the same requests without
  modelling preemption.) A request that could never fit is refused.
- A running request gives its first token ``time_to_first_token`` seconds after it
  starts and another every ``inter_token_latency`` seconds, and finishes with its
  last output token: at ``start + ttft + (output − 1) x itl``. Latency does not depend
  on the batch size, as in the simulator.
- KV-cache usage is the blocks the running requests fill now (prompt plus the
  tokens generated so far) over the cache's blocks.

The defaults are the llm-d inference simulator's flags (``--max-num-seqs`` 5,
``--kv-cache-size`` 1024 blocks, ``--block-size`` 16) with latencies a small GPU
might show (200 ms to the first token, 20 ms per further token).
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class EngineParams:
    max_num_seqs: int = 5
    kv_cache_blocks: int = 1024
    block_size: int = 16
    time_to_first_token: float = 0.2     # seconds
    inter_token_latency: float = 0.02    # seconds per output token after the first

    def __post_init__(self) -> None:
        if self.max_num_seqs < 1 or self.kv_cache_blocks < 1 or self.block_size < 1:
            raise ValueError(f"max_num_seqs, kv_cache_blocks and block_size must be >= 1: {self}")
        if self.time_to_first_token < 0 or self.inter_token_latency < 0:
            raise ValueError(f"latencies must be >= 0: {self}")

    def blocks(self, tokens: int) -> int:
        return math.ceil(tokens / self.block_size)

    def service_time(self, output_tokens: int) -> float:
        return self.time_to_first_token + max(0, output_tokens - 1) * self.inter_token_latency


@dataclass(frozen=True)
class Request:
    id: int
    arrival: float
    prompt_tokens: int
    output_tokens: int
    client: object = None   # who sent it, for the caller


@dataclass(frozen=True)
class Completion:
    request: Request
    started: float
    finished: float


@dataclass(frozen=True)
class EngineMetrics:
    running: int
    waiting: int
    kv_cache_usage: float   # 0..1


@dataclass(frozen=True)
class _Running:
    request: Request
    started: float
    finishes: float
    reserved: int


class RequestTooLarge(ValueError):
    """The request's sequence needs more KV-cache blocks than the server has."""


class Engine:
    """One server's queue and batch. Call ``advance(now)`` before reading or submitting at ``now``."""

    def __init__(self, params: EngineParams = EngineParams()):
        self.params = params
        self._waiting: deque[Request] = deque()
        self._running: list[_Running] = []

    def submit(self, request: Request, now: float) -> list[Completion]:
        """Accept ``request`` at ``now`` (after finishing what was due); returns those completions."""
        needed = self.params.blocks(request.prompt_tokens + request.output_tokens)
        if needed > self.params.kv_cache_blocks:
            raise RequestTooLarge(f"request {request.id} needs {needed} KV-cache blocks, "
                                  f"the server has {self.params.kv_cache_blocks}")
        done = self.advance(now)
        self._waiting.append(request)
        self._admit(now)
        return done

    def advance(self, now: float) -> list[Completion]:
        """Finish every request due by ``now``, in time order, starting queued ones as room frees."""
        done: list[Completion] = []
        while self._running:
            first = min(self._running, key=lambda r: (r.finishes, r.request.id))
            if first.finishes > now:
                break
            self._running.remove(first)
            done.append(Completion(first.request, first.started, first.finishes))
            self._admit(first.finishes)
        return done

    def next_finish(self) -> float | None:
        return min((r.finishes for r in self._running), default=None)

    def metrics(self, now: float) -> EngineMetrics:
        """Running, waiting and KV-cache usage at ``now`` (call ``advance(now)`` first)."""
        used = sum(self.params.blocks(r.request.prompt_tokens + self._generated(r, now))
                   for r in self._running)
        return EngineMetrics(len(self._running), len(self._waiting),   # used <= the blocks _admit reserved
                             used / self.params.kv_cache_blocks)

    def in_flight(self) -> int:
        return len(self._running) + len(self._waiting)

    def drop_all(self) -> list[Request]:
        """Everything running or queued, lost as the server goes away (oldest first)."""
        lost = sorted((r.request for r in self._running), key=lambda q: q.id) + list(self._waiting)
        self._running.clear()
        self._waiting.clear()
        return lost

    def _admit(self, at: float) -> None:
        reserved = sum(r.reserved for r in self._running)
        while self._waiting and len(self._running) < self.params.max_num_seqs:
            request = self._waiting[0]
            needed = self.params.blocks(request.prompt_tokens + request.output_tokens)
            if reserved + needed > self.params.kv_cache_blocks:
                return
            self._waiting.popleft()
            reserved += needed
            finishes = at + self.params.service_time(request.output_tokens)
            self._running.append(_Running(request, at, finishes, needed))

    def _generated(self, running: _Running, now: float) -> int:
        since_first = now - running.started - self.params.time_to_first_token
        if since_first < 0:
            return 0
        # past its first token and still running (advance(now) came first): finishes > now, so itl > 0
        extra = math.floor(since_first / self.params.inter_token_latency)
        return min(running.request.output_tokens, 1 + extra)
