"""Recording what a scaler predicted and what then happened, for the suite's own accuracy arithmetic.

A `PredictionRecorder` is a waiting duty: while a scenario drives traffic it
observes, once per controller tick, the replicas the scaler predicts
(`status.predictionStatus.predictedReplicas`) and the replicas the Deployment
runs. `aligned()` pairs each prediction with what ran `look_ahead` seconds later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from support.accuracy import Sample
from support.clock import Clock

TICK = 10.0


@dataclass(frozen=True)
class Observation:
    time: float
    predicted: int | None
    actual: int


@dataclass
class PredictionRecorder:
    probe: Callable[[], tuple[int | None, int]]  # () -> (predicted replicas or None, running replicas)
    clock: Clock
    look_ahead: float
    every: float = TICK
    observations: list[Observation] = field(default_factory=list)
    errors: int = 0

    def observe(self) -> None:
        """Waiting duty: take an observation when one is due."""
        now = self.clock.now()
        if self.observations and now - self.observations[-1].time < self.every:
            return
        try:
            predicted, actual = self.probe()
        except LookupError:
            self.errors += 1
            return
        self.observations.append(Observation(now, predicted, actual))

    def aligned(self) -> list[Sample]:
        """(time of outcome, predicted then, actual at that time) for every matured prediction."""
        return [sample for _, sample in self._matured()]

    def befores(self) -> list[int]:
        """What ran when each matured prediction was made (for direction accuracy)."""
        return [seen.actual for seen, _ in self._matured()]

    def _matured(self) -> list[tuple[Observation, Sample]]:
        samples = []
        for index, seen in enumerate(self.observations):
            if seen.predicted is None:
                continue
            outcome = next((later for later in self.observations[index:]
                            if later.time >= seen.time + self.look_ahead), None)
            if outcome is not None:
                samples.append((seen, Sample(outcome.time, seen.predicted, outcome.actual)))
        return samples

    def predictions(self) -> list[Observation]:
        return [o for o in self.observations if o.predicted is not None]
