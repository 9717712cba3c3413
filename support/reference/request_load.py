"""Clients sending chat completions through a Service to inference pods (issue 9 item 6).

"N clients send requests for D": each client keeps one request in flight (closed
loop, no think time): it sends at the start, and whenever its answer comes back
before the load's end it sends the next one at once. The Service hands each new
request to the next ready pod in turn (round robin; kube-proxy picks at random, the
same on average, but a model must be deterministic). Each pod is an
:class:`~support.reference.vllm_engine.Engine`, so the pods' running/waiting
requests and KV-cache usage follow from the load and from how many pods share it.

Answers may vary in length as a real model's do: with ``shortest_answer`` below 1 the
n-th request's answer is ``output_tokens x (shortest + (1 − shortest) x frac(n x φ))``
tokens (φ the golden ratio: spread evenly, yet the same on every run), which keeps the
clients from marching in step.

Pods come and go between calls (:meth:`LoadSimulation.set_pods`): a new pod takes
its share of the requests sent from then on; the requests of a pod that leaves are
sent again at once to the remaining pods (the clients retry a broken connection);
with no pod at all they wait and go out when one is ready.

A load may be ended early (:meth:`LoadSimulation.end_load`): its clients send nothing
more, and the requests they have in flight are still answered. Each load counts what
its clients sent, what came back and what is in flight (:meth:`LoadSimulation.load_stats`).

Everything is a function of the calls' times and arguments: no clock is read.
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Sequence

from .vllm_engine import Completion, Engine, EngineMetrics, EngineParams, Request

DEFAULT_PROMPT_TOKENS = 20
DEFAULT_OUTPUT_TOKENS = 1000   # the old load generator's max_tokens
GOLDEN = (5 ** 0.5 - 1) / 2


@dataclass(frozen=True)
class ClientLoad:
    clients: int
    start: float
    duration: float
    prompt_tokens: int = DEFAULT_PROMPT_TOKENS
    output_tokens: int = DEFAULT_OUTPUT_TOKENS
    shortest_answer: float = 1.0   # fraction of output_tokens; 1 = every answer is that long

    def __post_init__(self) -> None:
        if self.clients < 0 or self.duration < 0:
            raise ValueError(f"clients and duration must be >= 0: {self}")
        if not 0 < self.shortest_answer <= 1:
            raise ValueError(f"shortest_answer must be in (0, 1]: {self}")

    def answer_tokens(self, number: int) -> int:
        """Output tokens of the ``number``-th request (see the module notes)."""
        if self.shortest_answer >= 1:
            return self.output_tokens
        spread = (number * GOLDEN) % 1.0
        fraction = self.shortest_answer + (1 - self.shortest_answer) * spread
        return max(1, round(self.output_tokens * fraction))

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class _Client:
    load: int     # index of its ClientLoad
    number: int


@dataclass
class LoadStats:
    sent: int = 0
    completed: int = 0
    resent: int = 0

    @property
    def in_flight(self) -> int:
        """Sent and neither answered nor lost with a pod that went (a lost one is sent again)."""
        return self.sent - self.completed - self.resent


class LoadSimulation:
    """Closed-loop client loads over the pods of one Service."""

    def __init__(self, params: EngineParams = EngineParams()):
        self.params = params
        self.stats = LoadStats()
        self._loads: list[ClientLoad] = []
        self._load_stats: list[LoadStats] = []
        self._started: set[int] = set()
        self._engines: dict[str, Engine] = {}
        self._order: list[str] = []
        self._turn = 0
        self._undelivered: list[Request] = []
        self._ids = itertools.count(1)
        self._now = float("-inf")

    def add_load(self, load: ClientLoad) -> int:
        """Clients that start sending at ``load.start`` (which may lie ahead); the load's number."""
        self._loads.append(load)
        self._load_stats.append(LoadStats())
        return len(self._loads) - 1

    def end_load(self, index: int, now: float) -> None:
        """The load's clients send nothing after ``now`` (what they have in flight is answered)."""
        self.advance(now)
        load = self._loads[index]
        if now < load.start:
            self._started.add(index)   # it never starts
        if now < load.end:
            self._loads[index] = dataclasses.replace(load, duration=max(0.0, now - load.start))

    def load_stats(self, index: int, now: float) -> LoadStats:
        """What the load's clients sent, got answered and had sent again, up to ``now``."""
        self.advance(now)
        return dataclasses.replace(self._load_stats[index])

    def load_active(self, index: int, now: float) -> bool:
        """Whether the load's clients still send or wait for answers at ``now``."""
        stats = self.load_stats(index, now)
        return now < self._loads[index].end or stats.in_flight > 0

    def set_pods(self, now: float, pods: Sequence[str]) -> None:
        """The Service's ready pods from ``now`` on, in the order it hands out requests."""
        self.advance(now)
        gone = [name for name in self._order if name not in pods]
        for name in pods:
            self._engines.setdefault(name, Engine(self.params))
        self._order = list(pods)
        for name in gone:
            for request in self._engines.pop(name).drop_all():
                self.stats.resent += 1
                self._load_stats[request.client.load].resent += 1
                self._send(request.client, now)
        pending, self._undelivered = self._undelivered, []
        for request in pending:
            self._deliver(request, now)

    def advance(self, now: float) -> None:
        """Run the loads up to ``now``: starts, completions and the requests they trigger."""
        if now < self._now:
            raise ValueError(f"time went backwards: {now} < {self._now}")
        while True:
            at, what = self._next_event(now)
            if what is None:
                break
            if isinstance(what, int):
                self._start_load(what, at)
            else:
                for done in what.advance(at):
                    self._completed(done)
        self._now = now

    def metrics(self, pod: str, now: float) -> EngineMetrics:
        """What ``pod`` reports at ``now`` (zero for a pod the Service does not know)."""
        self.advance(now)
        engine = self._engines.get(pod)
        return engine.metrics(now) if engine else EngineMetrics(0, 0, 0.0)

    def in_flight(self) -> int:
        return sum(e.in_flight() for e in self._engines.values()) + len(self._undelivered)

    def _next_event(self, now: float) -> tuple[float, int | Engine | None]:
        best: tuple[float, int | Engine | None] = (now, None)
        for index, load in enumerate(self._loads):
            if index not in self._started and load.start <= best[0]:
                best = (load.start, index)
        for name in self._order:
            engine = self._engines[name]
            finish = engine.next_finish()
            if finish is not None and (finish < best[0] or (finish == best[0] and best[1] is None)):
                best = (finish, engine)
        return best

    def _start_load(self, index: int, at: float) -> None:
        self._started.add(index)
        for number in range(self._loads[index].clients):
            self._send(_Client(index, number), at)

    def _completed(self, done: Completion) -> None:
        self.stats.completed += 1
        client = done.request.client
        self._load_stats[client.load].completed += 1
        if done.finished < self._loads[client.load].end:
            self._send(client, done.finished)

    def _send(self, client: _Client, at: float) -> None:
        load = self._loads[client.load]
        number = next(self._ids)
        request = Request(number, at, load.prompt_tokens, load.answer_tokens(number), client)
        self.stats.sent += 1
        self._load_stats[client.load].sent += 1
        self._deliver(request, at)

    def _deliver(self, request: Request, at: float) -> None:
        if not self._order:
            self._undelivered.append(request)
            return
        name = self._order[self._turn % len(self._order)]
        self._turn += 1
        for done in self._engines[name].submit(request, at):
            self._completed(done)
