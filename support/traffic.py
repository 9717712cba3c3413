"""Traffic that spreads over the inference pods, as real load does.

A mock pod reports whatever it is told; real GPU cache usage per pod falls as
replicas are added. `SharedDemand` is a waiting duty that keeps every pod at
`demand / pods` (percent of one pod's GPU cache), so adding replicas relieves
each pod and the scaler can settle, and prediction has something to predict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hamcrest import assert_that, greater_than

from support.mockctl import MockDriver, Workload

FULL = 100.0


@dataclass
class SharedDemand:
    mocks: MockDriver
    workload: Workload
    pods: callable  # () -> number of running pods of the workload
    demand: float = 0.0  # percent of one pod's GPU cache, summed over the workload
    _applied: tuple[float, int] | None = None

    def set(self, demand: float) -> int:
        """Set the demand now; how many running pods took their share (at least one, or AssertionError)."""
        self.demand = demand
        took = self._share()
        assert_that(took, greater_than(0), f"running inference pods that took their share of a {demand:g}% demand")
        return took

    def apply(self) -> None:
        """Waiting duty: give every pod its share when the demand or the pod count changed."""
        if self._applied != (self.demand, max(1, self.pods())):
            self._share()

    def _share(self) -> int:
        pods = max(1, self.pods())
        share = round(min(FULL, self.demand / pods), 3)
        took = self.mocks.set_on_every_pod(self.workload, "/set", gpu_cache=share)
        self._applied = (self.demand, pods)
        return took


_PHASE = re.compile(r"\s*(\d+(?:\.\d+)?)%(?:\s+(?:rising|falling) to\s+(\d+(?:\.\d+)?)%)?\s*")


def parse_demand(text: str) -> tuple[float, float]:
    """'150%' -> (150, 150); '40% rising to 200%' -> (40, 200)."""
    match = _PHASE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a demand: write '150%' or '40% rising to 200%'")
    start = float(match.group(1))
    return start, float(match.group(2)) if match.group(2) else start


def ramp(start: float, end: float, duration: float, step: float) -> list[float]:
    """Demand levels, one per `step` seconds, going linearly from start to end over `duration`."""
    count = max(1, int(duration // step))
    return [start + (end - start) * (i + 1) / count for i in range(count)]
