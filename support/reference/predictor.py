"""The time-series predictor (§5.4): least-squares trend, confidence, replica prediction.

Histories are (time, value) points kept sorted by time, capped at the newest
1000. Time is epoch seconds; the regression runs on minutes since the first
point. Go's float behaviour is kept, including the NaN confidence of a flat
history whose population variance rounds slightly below zero (§7.19).
"""
from __future__ import annotations

import bisect

from support.reference.budscaler import PredictionData
from support.reference.gomath import go_ceil, go_sqrt
from support.reference.model import Model

MAX_HISTORY = 1000
FIXED_LOOK_AHEAD_MINUTES = 15
SOURCE = "timeseries"


def history_key(model: Model, namespace: str, scaler: str, metric: str) -> str:
    """As built, one history per metric name across all scalers; contract: per scaler."""
    if model.has("predictor-shared-by-metric"):
        return metric
    return f"{namespace}/{scaler}/{metric}"


def effective_look_ahead(model: Model, spec_minutes: int | None) -> int:
    """As built, always 15 minutes; contract: the spec's lookAheadMinutes (default 15)."""
    if model.has("fixed-lookahead") or not spec_minutes:
        return FIXED_LOOK_AHEAD_MINUTES
    return spec_minutes


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


class TimeSeriesPredictor:
    """Per-key histories and the predictions made from them."""

    def __init__(self) -> None:
        self._times: dict[str, list[float]] = {}
        self._values: dict[str, list[float]] = {}

    def add(self, key: str, value: float, ts: float) -> None:
        """Insert a point in time order (after equal times), keep the newest 1000."""
        times = self._times.setdefault(key, [])
        values = self._values.setdefault(key, [])
        at = bisect.bisect_right(times, ts)
        times.insert(at, ts)
        values.insert(at, value)
        if len(times) > MAX_HISTORY:
            del times[:-MAX_HISTORY], values[:-MAX_HISTORY]

    def history(self, key: str) -> list[tuple[float, float]]:
        return list(zip(self._times.get(key, ()), self._values.get(key, ())))

    def linear_prediction(self, key: str, look_ahead_minutes: float) -> float:
        """Least-squares value ``look_ahead_minutes`` after the last point."""
        values = self._values.get(key, [])
        n = len(values)
        if n == 0:
            return 0.0
        if n == 1:
            return values[0]
        times = self._times[key]             # add() keeps both lists for every key it saw
        sum_x = sum_y = sum_xy = sum_x2 = 0.0
        for ts, y in zip(times, values):
            x = (ts - times[0]) / 60
            sum_x += x
            sum_y += y
            sum_xy += x * y
            sum_x2 += x * x
        denominator = n * sum_x2 - sum_x * sum_x
        if denominator == 0:
            return values[-1]
        slope = (n * sum_xy - sum_x * sum_y) / denominator
        intercept = (sum_y - slope * sum_x) / n
        return intercept + slope * ((times[-1] - times[0]) / 60 + look_ahead_minutes)

    def confidence(self, key: str) -> float:
        """countFactor × varianceFactor; NaN when the variance rounds below zero."""
        values = self._values.get(key, [])
        n = len(values)
        if n == 0:
            return 0.0
        count_factor = 1 - 1 / (1 + n / 10)
        if n == 1:
            return count_factor * 0.5
        total = squares = 0.0
        for v in values:
            total += v
            squares += v * v
        mean = total / n
        variance = squares / n - mean * mean
        cv = go_sqrt(variance) / abs(mean) if mean != 0 else 0.0
        return count_factor * (1 / (1 + cv))

    def moving_average(self, key: str, n: int) -> float:
        values = self._values.get(key, [])[-n:] if n > 0 else []
        return sum(values) / len(values) if values else 0.0

    def predict_replicas(self, key: str, current: int, target: float, min_replicas: int,
                         max_replicas: int, look_ahead_minutes: float) -> PredictionData:
        """Replicas needed at the predicted value (§5.4 steps 2-5; hints are the caller's)."""
        predicted = self.linear_prediction(key, look_ahead_minutes)
        confidence = self.confidence(key)
        if target <= 0:
            return PredictionData(current, confidence, "invalid target value", SOURCE)
        recommended = _clamp(go_ceil(current * predicted / target), min_replicas, max_replicas)
        return PredictionData(recommended, confidence, _reason(recommended, current), SOURCE)


def _reason(recommended: int, current: int) -> str:
    if recommended > current:
        return "predicted increase in load"
    if recommended < current:
        return "predicted decrease in load"
    return "stable load predicted"
