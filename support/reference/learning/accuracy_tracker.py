"""Prediction accuracy as the controller tracks it (§5.5 "Accuracy metrics").

MAE and MAPE are EWMAs (alpha 0.1, first value as-is), per hour-of-week bucket
and overall; "RMSE" is an EWMA of the squared error with no square root.
Direction accuracy is correct/total over all buckets.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from support.reference.learning.seasonal import BUCKETS, DEFAULT_ALPHA, bucket_index
from support.reference.learning.timefmt import parse_rfc3339, rfc3339

UP, DOWN, NONE = "up", "down", "none"
RECENT_CAPACITY = 100
CALIBRATION_PCT_ERROR = 25.0
TREND_MIN_OUTCOMES = 20


def direction(before: float, after: float) -> str:
    """up / down / none of ``after`` relative to ``before``."""
    if after > before:
        return UP
    if after < before:
        return DOWN
    return NONE


def pct_error(predicted: float, actual: float) -> float:
    """|predicted − actual| / actual × 100; 0 when actual is 0 (as the controller)."""
    return abs(predicted - actual) / actual * 100 if actual > 0 else 0.0


@dataclass
class Ewma:
    """An exponentially weighted mean whose first value is taken as-is."""

    value: float = 0.0
    count: int = 0
    alpha: float = DEFAULT_ALPHA

    def update(self, x: float) -> None:
        x = float(x)  # a float64 in the controller: saved and reloaded as the same number
        self.value = x if self.count == 0 else self.alpha * x + (1 - self.alpha) * self.value
        self.count += 1

    def to_json(self) -> dict:
        return {"value": self.value, "count": self.count, "alpha": self.alpha}

    @classmethod
    def from_json(cls, data: dict) -> "Ewma":
        return cls(float(data["value"]), int(data["count"]), float(data["alpha"]))


@dataclass
class DirectionCount:
    correct: int = 0
    total: int = 0


@dataclass(frozen=True)
class Outcome:
    """One verified prediction; ``error`` is predicted − actual."""

    time: float
    predicted: int
    actual: int
    error: float

    def to_json(self) -> dict:
        return {"time": rfc3339(self.time, fractional=True), "predicted": self.predicted,
                "actual": self.actual, "error": self.error}

    @classmethod
    def from_json(cls, data: dict) -> "Outcome":
        return cls(parse_rfc3339(data["time"]) or 0.0, int(data["predicted"]),
                   int(data["actual"]), float(data["error"]))


def _ewmas() -> list[Ewma]:
    return [Ewma() for _ in range(BUCKETS)]


@dataclass
class AccuracyTracker:
    hourly_mae: list[Ewma] = field(default_factory=_ewmas)
    hourly_mape: list[Ewma] = field(default_factory=_ewmas)
    hourly_rmse: list[Ewma] = field(default_factory=_ewmas)
    directions: list[DirectionCount] = field(
        default_factory=lambda: [DirectionCount() for _ in range(BUCKETS)])
    overall_mae: Ewma = field(default_factory=Ewma)
    overall_mape: Ewma = field(default_factory=Ewma)
    last_calibration: float | None = None
    calibration_needed: bool = False
    total_predictions: int = 0
    recent: deque[Outcome] = field(default_factory=lambda: deque(maxlen=RECENT_CAPACITY))

    def record(self, ts: float, predicted: int, actual: int,
               predicted_dir: str, actual_dir: str) -> None:
        """Account one verified prediction made at ``ts``."""
        b = bucket_index(ts)
        err = predicted - actual
        pct = self.percent_error(predicted, actual)
        self.hourly_mae[b].update(abs(err))
        self.hourly_mape[b].update(pct)
        self.hourly_rmse[b].update(err * err)
        self.directions[b].total += 1
        if predicted_dir == actual_dir or predicted == actual:
            self.directions[b].correct += 1
        self.overall_mae.update(abs(err))
        self.overall_mape.update(pct)
        self.total_predictions += 1
        if pct > CALIBRATION_PCT_ERROR:
            self.calibration_needed = True
        self.recent.append(Outcome(ts, predicted, actual, float(err)))

    @staticmethod
    def percent_error(predicted: float, actual: float) -> float:
        """The error measure MAPE averages (a seam: tests build trackers that measure it wrongly)."""
        return pct_error(predicted, actual)

    def mae(self) -> float:
        return self.overall_mae.value

    def mape(self) -> float:
        return self.overall_mape.value

    def direction_accuracy(self) -> float:
        """Fraction correct over all buckets; 0 before any verification."""
        total = sum(d.total for d in self.directions)
        return sum(d.correct for d in self.directions) / total if total else 0.0

    def worst_buckets(self, n: int = 5) -> list[int]:
        """Indices of the ``n`` buckets with the highest MAPE among those with data."""
        used = [i for i in range(BUCKETS) if self.hourly_mape[i].count > 0]
        return sorted(used, key=lambda i: -self.hourly_mape[i].value)[:n]

    def recent_trend(self) -> float:
        """(first-half − second-half mean pctErr)/first-half, in [−1, 1]; > 0 improves."""
        if len(self.recent) < TREND_MIN_OUTCOMES:
            return 0.0
        outcomes = list(self.recent)
        half = len(outcomes) // 2
        first = _mean_pct(outcomes[:half])
        second = _mean_pct(outcomes[half:])
        if first == 0:
            return 0.0
        return max(-1.0, min(1.0, (first - second) / first))

    def reset_bucket(self, index: int) -> None:
        for series in (self.hourly_mae, self.hourly_mape, self.hourly_rmse):
            series[index] = Ewma(alpha=series[index].alpha)
        self.directions[index] = DirectionCount()

    def to_json(self) -> dict:
        return {
            "hourlyMAE": [e.to_json() for e in self.hourly_mae],
            "hourlyMAPE": [e.to_json() for e in self.hourly_mape],
            "hourlyRMSE": [e.to_json() for e in self.hourly_rmse],
            "directionAccuracy": [{"correct": d.correct, "total": d.total}
                                  for d in self.directions],
            "overallMAE": self.overall_mae.to_json(),
            "overallMAPE": self.overall_mape.to_json(),
            "lastCalibration": rfc3339(self.last_calibration, fractional=True),
            "calibrationNeeded": self.calibration_needed,
            "totalPredictions": self.total_predictions,
            "recentPredictions": [o.to_json() for o in self.recent],
        }

    @classmethod
    def from_json(cls, data: dict) -> "AccuracyTracker":
        return cls(
            _bucket_list(data["hourlyMAE"], Ewma.from_json),
            _bucket_list(data["hourlyMAPE"], Ewma.from_json),
            _bucket_list(data["hourlyRMSE"], Ewma.from_json),
            _bucket_list(data["directionAccuracy"],
                         lambda d: DirectionCount(int(d["correct"]), int(d["total"]))),
            Ewma.from_json(data["overallMAE"]),
            Ewma.from_json(data["overallMAPE"]),
            parse_rfc3339(data.get("lastCalibration")),
            bool(data.get("calibrationNeeded", False)),
            int(data.get("totalPredictions", 0)),
            deque((Outcome.from_json(o) for o in data.get("recentPredictions") or []),
                  maxlen=RECENT_CAPACITY),
        )


def _mean_pct(outcomes: list[Outcome]) -> float:
    pcts = [pct_error(o.predicted, o.actual) for o in outcomes if o.actual > 0]
    return sum(pcts) / len(pcts) if pcts else 0.0


def _bucket_list(raw: list, parse) -> list:
    if not isinstance(raw, list) or len(raw) != BUCKETS:
        raise ValueError(f"expected {BUCKETS} buckets, got {type(raw).__name__}")
    return [parse(item) for item in raw]
