"""Reading BudAIScaler's learning data: `status.learningStatus` strings and the learning ConfigMap.

The controller saves what it learned in the ConfigMap `<scaler>-learning-data`
(labels `scaler.bud.studio/learning-data=true`, `scaler.bud.studio/scaler-name=<scaler>`),
as JSON documents under fixed keys; this module turns both into plain numbers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

LEARNING_DATA_LABEL = "scaler.bud.studio/learning-data"
SCALER_NAME_LABEL = "scaler.bud.studio/scaler-name"
PROFILES_KEY = "seasonal_profiles.json"
ACCURACY_KEY = "accuracy_tracker.json"
DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def configmap_name(scaler: str) -> str:
    return f"{scaler}-learning-data"


def labels(scaler: str) -> dict[str, str]:
    return {LEARNING_DATA_LABEL: "true", SCALER_NAME_LABEL: scaler}


def selector(scaler: str) -> str:
    return ",".join(f"{k}={v}" for k, v in labels(scaler).items())


def bucket_index(day: str, hour: int) -> int:
    """The controller's seasonal bucket: weekday (Sunday = 0) × 24 + hour."""
    if day not in DAYS:
        raise ValueError(f"{day!r} is not a day of the week: use one of {', '.join(DAYS)}")
    if not 0 <= hour <= 23:
        raise ValueError(f"hour {hour} is not between 0 and 23")
    return DAYS.index(day) * 24 + hour


@dataclass(frozen=True)
class Bucket:
    mean: float
    observations: int


def seasonal_bucket(configmap: dict, metric: str, day: str, hour: int) -> Bucket:
    """One hour-of-week bucket of a metric's learned profile, from the learning ConfigMap."""
    data = (configmap.get("data") or {}).get(PROFILES_KEY)
    if data is None:
        raise LookupError(f"ConfigMap {configmap['metadata']['name']} has no {PROFILES_KEY}")
    profiles = json.loads(data).get("profiles") or {}
    if metric not in profiles:
        raise LookupError(f"no learned profile for {metric!r}; profiles: {', '.join(profiles) or 'none'}")
    bucket = profiles[metric]["buckets"][bucket_index(day, hour)]
    return Bucket(float(bucket.get("mean", 0.0)), int(bucket.get("observations", 0)))


def parse_count(value) -> int:
    if value is None:
        raise LookupError("the scaler reports no learning status yet")
    return int(value)


def saved_data_points(configmap: dict) -> int:
    """Data points the ConfigMap holds: all observations of all learned profiles (the status's own count)."""
    data = (configmap.get("data") or {}).get(PROFILES_KEY)
    if data is None:
        raise LookupError(f"ConfigMap {configmap['metadata']['name']} has no {PROFILES_KEY}")
    profiles = json.loads(data).get("profiles") or {}
    return sum(int(b.get("observations", 0)) for p in profiles.values() for b in p.get("buckets") or [])


def last_calibration(configmap: dict) -> float | None:
    """When the saved accuracy record was last calibrated (epoch seconds), None if never."""
    data = (configmap.get("data") or {}).get(ACCURACY_KEY)
    if data is None:
        raise LookupError(f"ConfigMap {configmap['metadata']['name']} has no {ACCURACY_KEY}")
    stamp = json.loads(data).get("lastCalibration")
    if not stamp or stamp.startswith("0001-"):  # Go's zero time: never
        return None
    return datetime.fromisoformat(stamp).timestamp()


_SIZE = re.compile(r"(\d+(?:\.\d+)?)(B|KiB|MiB)")
_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 * 1024}


def parse_size(text: str) -> float:
    """`845B`, `12.3KiB`, `1.5MiB` -> bytes; ValueError for anything else."""
    match = _SIZE.fullmatch(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a size like 845B, 12.3KiB or 1.5MiB")
    return float(match.group(1)) * _UNITS[match.group(2)]
