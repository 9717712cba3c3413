"""Seasonal profiles: one EWMA mean/variance per hour of the week, per metric (§5.5).

A week has 168 buckets, ``weekday × 24 + hour`` with Sunday = 0, taken in UTC
(the controller's container zone). Each update also moves a global EWMA, and
the seasonal factor of a bucket is its mean relative to the global mean.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

from support.reference.learning.timefmt import parse_rfc3339, rfc3339

BUCKETS = 168
DEFAULT_ALPHA = 0.1
MIN_OBSERVATIONS = 10
FACTOR_MIN, FACTOR_MAX = 0.1, 10.0
FULL_CONFIDENCE_OBSERVATIONS = 1000


def bucket_index(ts: float) -> int:
    """Hour-of-week bucket of epoch time ``ts`` in UTC, Sunday 00:00 = 0."""
    moment = datetime.fromtimestamp(ts, timezone.utc)
    go_weekday = (moment.weekday() + 1) % 7  # Python: Monday = 0; Go: Sunday = 0
    return go_weekday * 24 + moment.hour


def ewma_update(mean: float, var: float, count: int, value: float, alpha: float
                ) -> tuple[float, float]:
    """One EWMA step of (mean, variance); the first observation is taken as-is."""
    if count == 0:
        return float(value), 0.0
    new_mean = alpha * value + (1 - alpha) * mean
    new_var = (1 - alpha) * var + alpha * (value - mean) * (value - new_mean)
    return new_mean, new_var


@dataclass
class Bucket:
    """One hour of the week of one metric."""

    index: int
    mean: float = 0.0
    variance: float = 0.0
    observations: int = 0
    last_updated: float | None = None

    def update(self, value: float, ts: float, alpha: float) -> None:
        self.mean, self.variance = ewma_update(
            self.mean, self.variance, self.observations, value, alpha)
        self.observations += 1
        self.last_updated = ts

    def reset(self) -> None:
        self.mean, self.variance, self.observations, self.last_updated = 0.0, 0.0, 0, None

    def to_json(self) -> dict:
        return {"hourOfDay": self.index % 24, "dayOfWeek": self.index // 24,
                "mean": self.mean, "variance": self.variance,
                "observations": self.observations,
                "lastUpdated": rfc3339(self.last_updated, fractional=True)}

    @classmethod
    def from_json(cls, data: dict) -> "Bucket":
        index = int(data["dayOfWeek"]) * 24 + int(data["hourOfDay"])
        return cls(index, float(data["mean"]), float(data["variance"]),
                   int(data["observations"]), parse_rfc3339(data.get("lastUpdated")))


@dataclass
class SeasonalProfile:
    """The 168 buckets of one metric plus its global EWMA."""

    metric: str
    alpha: float = DEFAULT_ALPHA
    min_observations: int = MIN_OBSERVATIONS
    buckets: list[Bucket] = field(default_factory=lambda: [Bucket(i) for i in range(BUCKETS)])
    global_mean: float = 0.0
    global_variance: float = 0.0
    global_count: int = 0

    def update(self, value: float, ts: float) -> None:
        self.buckets[bucket_index(ts)].update(value, ts, self.alpha)
        self.global_mean, self.global_variance = ewma_update(
            self.global_mean, self.global_variance, self.global_count, value, self.alpha)
        self.global_count += 1

    def seasonal_factor(self, ts: float) -> tuple[float, float]:
        """(factor, confidence) of the bucket of ``ts``."""
        bucket = self.buckets[bucket_index(ts)]
        if bucket.observations < self.min_observations:
            return 1.0, bucket.observations / self.min_observations
        if self.global_mean == 0 or math.isnan(self.global_mean):
            return 1.0, 0.5
        factor = min(FACTOR_MAX, max(FACTOR_MIN, bucket.mean / self.global_mean))
        confidence = min(1.0, bucket.observations / FULL_CONFIDENCE_OBSERVATIONS)
        if bucket.variance > 0 and self.global_variance > 0:
            confidence *= 1 / (1 + bucket.variance / self.global_variance)
        return factor, confidence

    def predict_value(self, ts: float) -> float:
        return self.global_mean * self.seasonal_factor(ts)[0]

    def observations(self) -> int:
        return sum(b.observations for b in self.buckets)

    def complete_buckets(self) -> int:
        return sum(1 for b in self.buckets if b.observations >= self.min_observations)

    def is_complete(self) -> bool:
        return self.complete_buckets() == BUCKETS

    def completeness(self) -> float:
        """Percent of buckets with at least ``min_observations``."""
        return self.complete_buckets() / BUCKETS * 100

    def peak_hours(self, day: int, n: int) -> list[int]:
        """The ``n`` hours of weekday ``day`` (Sunday = 0) with the highest means."""
        hours = sorted(range(24), key=lambda h: -self.buckets[day * 24 + h].mean)
        return hours[:n]

    def to_json(self) -> dict:
        return {"metricName": self.metric, "buckets": [b.to_json() for b in self.buckets],
                "globalMean": self.global_mean, "globalVariance": self.global_variance,
                "globalCount": self.global_count, "alpha": self.alpha,
                "minObservations": self.min_observations}

    @classmethod
    def from_json(cls, data: dict) -> "SeasonalProfile":
        buckets = [Bucket(i) for i in range(BUCKETS)]
        for raw in data.get("buckets") or []:
            bucket = Bucket.from_json(raw)
            if not 0 <= bucket.index < BUCKETS:
                raise ValueError(f"bucket out of range: {raw!r}")
            buckets[bucket.index] = bucket
        return cls(str(data["metricName"]), float(data["alpha"]),
                   int(data["minObservations"]), buckets, float(data["globalMean"]),
                   float(data["globalVariance"]), int(data["globalCount"]))


@dataclass
class SeasonalManager:
    """All profiles of one scaler, created on a metric's first value."""

    alpha: float = DEFAULT_ALPHA
    profiles: dict[str, SeasonalProfile] = field(default_factory=dict)

    def update(self, metric: str, value: float, ts: float) -> None:
        profile = self.profiles.get(metric)
        if profile is None:
            profile = self.profiles[metric] = SeasonalProfile(metric, self.alpha)
        profile.update(value, ts)

    def current_alpha(self) -> float:
        """The alpha calibration starts from: the first profile's (Go: any profile's)."""
        for profile in self.profiles.values():
            return profile.alpha
        return DEFAULT_ALPHA

    def set_alpha(self, alpha: float) -> None:
        self.alpha = alpha
        for profile in self.profiles.values():
            profile.alpha = alpha

    def reset_bucket(self, index: int) -> None:
        for profile in self.profiles.values():
            profile.buckets[index].reset()

    def data_points(self) -> int:
        return sum(p.observations() for p in self.profiles.values())

    def is_complete(self) -> bool:
        """Every profile complete; vacuously true with no profiles (as the controller)."""
        return all(p.is_complete() for p in self.profiles.values())

    def to_json(self) -> dict:
        return {"profiles": {name: p.to_json() for name, p in self.profiles.items()},
                "alpha": self.alpha}

    @classmethod
    def from_json(cls, data: dict) -> "SeasonalManager":
        profiles = {name: SeasonalProfile.from_json(raw)
                    for name, raw in (data.get("profiles") or {}).items()}
        return cls(float(data.get("alpha", DEFAULT_ALPHA)), profiles)
