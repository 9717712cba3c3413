"""The load generator: N clients sending chat completions to the inference simulator's Service.

The suite deploys `mocks/load-generator.yaml` (one pod, its clients driving the Service
`llm-inference-sim:8000` over the cluster network) and drives it through the API server's
pod proxy: /start a run, /stop it, read its /status. On the embedded cluster the same
program models its clients on the cluster's request network (see the program's notes).
"""

from __future__ import annotations

from dataclasses import dataclass

from support.mockctl import MockDriver, MockRequestError, Workload

MANIFEST = "load-generator"
DEPLOYMENT = "load-generator"
CONTROL_PORT = 8080


@dataclass(frozen=True)
class RunStatus:
    """What the load generator says of its run."""

    running: bool
    clients: int
    sent: int
    succeeded: int
    failed: int
    in_flight: int
    last_error: str

    @classmethod
    def of(cls, answer: dict) -> "RunStatus":
        return cls(bool(answer["running"]), int(answer["clients"]), int(answer["sent"]), int(answer["succeeded"]),
                   int(answer["failed"]), int(answer["in_flight"]), str(answer.get("last_error") or ""))


class LoadGenerator:
    def __init__(self, mocks: MockDriver, namespace: str):
        self._mocks = mocks
        self.workload = Workload(namespace, DEPLOYMENT, CONTROL_PORT)

    def start(self, clients: int, duration: float) -> None:
        """Start a run of `clients` clients for `duration` seconds on the (running) load generator."""
        self._call("/start", clients=clients, duration=f"{duration:g}s")

    def stop(self) -> None:
        """End the run: the clients send nothing more (what they have in flight is answered)."""
        self._call("/stop")

    def status(self) -> RunStatus:
        return RunStatus.of(self._answers("/status")[0].json())

    def _call(self, path: str, **params: object) -> None:
        for answer in self._answers(path, **params):
            if answer.status_code != 200:
                raise MockRequestError(f"the load generator answered {answer.status_code} to {path} {params}: "
                                       f"{answer.text.strip()[:300]}")

    def _answers(self, path: str, **params: object):
        answers = self._mocks.query(self.workload, path, **params)
        if not answers:
            raise MockRequestError(f"no running load generator pod in {self.workload.namespace} to take {path}")
        return answers
