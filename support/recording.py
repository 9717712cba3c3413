"""Recording what a scaler predicted and what then happened, for the suite's own accuracy arithmetic.

A `PredictionRecorder` is a waiting duty: while a scenario drives traffic it
observes, once per controller tick, the replicas the scaler predicts
(`status.predictionStatus.predictedReplicas`) and the replicas the Deployment
runs. `aligned()` pairs each prediction with what ran `look_ahead` seconds later.

A read that fails (no status yet, an API error) is counted, not recorded: the
count and the last error are in `report()`, and a recorder whose reads fail
more than `MAX_ERROR_SHARE` of the time (after `ERRORS_FORGIVEN`) fails the
step it runs in, since its series would not say what the scaler predicted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from support.accuracy import Sample
from support.clock import Clock

TICK = 10.0
MAX_ERROR_SHARE = 0.1  # of the reads a recorder tries
ERRORS_FORGIVEN = 2    # a scaler without status yet, a transient API error


class RecorderFailing(AssertionError):
    """The recorder's reads failed too often for its series to be trusted."""


@dataclass(frozen=True)
class Observation:
    time: float
    predicted: int | None
    actual: int
    calibrated: float | None = None  # the scaler's last calibration as it reported it then (suite's clock)


@dataclass
class PredictionRecorder:
    probe: Callable[[], tuple[int | None, int, float | None]]  # () -> (predicted or None, running, last calibration)
    clock: Clock
    look_ahead: float
    every: float = TICK
    observations: list[Observation] = field(default_factory=list)
    attempts: int = 0
    errors: int = 0
    last_error: Exception | None = None

    def observe(self) -> None:
        """Waiting duty: take an observation when one is due; RecorderFailing when reads fail too often."""
        now = self.clock.now()
        if self.observations and now - self.observations[-1].time < self.every:
            return
        self.attempts += 1
        try:
            predicted, actual, calibrated = self.probe()
        except Exception as error:  # counted and bounded below, never dropped
            self.errors, self.last_error = self.errors + 1, error
            self.check()
            return
        self.observations.append(Observation(now, predicted, actual, calibrated))

    def check(self) -> None:
        """Raise RecorderFailing if more reads failed than the bound allows."""
        allowed = ERRORS_FORGIVEN + MAX_ERROR_SHARE * self.attempts
        if self.errors > allowed:
            raise RecorderFailing(f"the prediction recorder could not read the scaler {self.errors} times in "
                                  f"{self.attempts} tries (at most {allowed:.0f} allowed): {self.report()}")

    def report(self) -> str:
        """How the recording went: observations, failed reads and the last error."""
        last = "" if self.last_error is None else f"; last error: {type(self.last_error).__name__}: {self.last_error}"
        return (f"{len(self.observations)} observations ({len(self.predictions())} with a prediction), "
                f"{self.errors} failed reads of {self.attempts}{last}")

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

    def when_calibration_was_seen(self, calibrated: float) -> tuple[float, float] | None:
        """The span of cluster time in which this recording saw the scaler start reporting `calibrated`
        as its last calibration: (the last observation that showed something else, the first that showed
        it); -inf as the start if it showed it from the first observation. None if it never showed it."""
        for index, seen in enumerate(self.observations):
            if seen.calibrated == calibrated:
                return (self.observations[index - 1].time if index else float("-inf")), seen.time
        return None
