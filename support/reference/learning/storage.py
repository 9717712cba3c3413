"""The learning ConfigMap's shape, exactly as the controller's storage code writes it (§5.5).

ConfigMap ``<scaler>-learning-data`` holds four JSON strings: seasonal profiles,
pattern detector, accuracy tracker and metadata. This module only encodes and
decodes; writing it to a cluster is the caller's business.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

from support.reference.learning.accuracy_tracker import AccuracyTracker
from support.reference.learning.patterns import PatternDetector
from support.reference.learning.seasonal import SeasonalManager
from support.reference.learning.timefmt import parse_rfc3339, rfc3339

SEASONAL_KEY = "seasonal_profiles.json"
PATTERN_KEY = "pattern_detector.json"
ACCURACY_KEY = "accuracy_tracker.json"
METADATA_KEY = "metadata.json"
KEYS = (SEASONAL_KEY, PATTERN_KEY, ACCURACY_KEY, METADATA_KEY)
VERSION = "v1"
LEARNING_LABEL = "scaler.bud.studio/learning-data"
SCALER_NAME_LABEL = "scaler.bud.studio/scaler-name"
LAST_UPDATED_ANNOTATION = "scaler.bud.studio/last-updated"
VERSION_ANNOTATION = "scaler.bud.studio/version"


def configmap_name(scaler_name: str) -> str:
    return f"{scaler_name}-learning-data"


def configmap_labels(scaler_name: str) -> dict[str, str]:
    return {LEARNING_LABEL: "true", SCALER_NAME_LABEL: scaler_name}


def configmap_annotations(now: float) -> dict[str, str]:
    return {LAST_UPDATED_ANNOTATION: rfc3339(now), VERSION_ANNOTATION: VERSION}


def dumps(value: object) -> str:
    """Compact JSON like Go's ``json.Marshal``."""
    return json.dumps(value, separators=(",", ":"))


def format_bytes(size: int) -> str:
    """``845B``, ``12.3KiB``, ``1.5MiB`` (binary units, one decimal)."""
    if size < 1024:
        return f"{size}B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f}KiB"
    return f"{size / (1024 * 1024):.1f}MiB"


def storage_size(data: Mapping[str, str]) -> int:
    """Bytes of the data strings (UTF-8), as the controller sums them."""
    return sum(len(v.encode("utf-8")) for v in data.values())


@dataclass
class Metadata:
    scaler_name: str
    namespace: str
    created_at: float | None = None
    last_updated: float | None = None
    data_point_count: int = 0
    oldest_data_point: float | None = None
    profiles_count: int = 0
    storage_size_bytes: int = 0

    def to_json(self) -> dict:
        return {"version": VERSION, "scalerName": self.scaler_name,
                "namespace": self.namespace,
                "createdAt": rfc3339(self.created_at, fractional=True),
                "lastUpdated": rfc3339(self.last_updated, fractional=True),
                "dataPointCount": self.data_point_count,
                "oldestDataPoint": rfc3339(self.oldest_data_point, fractional=True),
                "profilesCount": self.profiles_count,
                "storageSizeBytes": self.storage_size_bytes}

    @classmethod
    def from_json(cls, d: dict) -> "Metadata":
        return cls(str(d.get("scalerName", "")), str(d.get("namespace", "")),
                   parse_rfc3339(d.get("createdAt")), parse_rfc3339(d.get("lastUpdated")),
                   int(d.get("dataPointCount", 0)), parse_rfc3339(d.get("oldestDataPoint")),
                   int(d.get("profilesCount", 0)), int(d.get("storageSizeBytes", 0)))


@dataclass
class LearningState:
    """Everything the ConfigMap carries."""

    seasonal: SeasonalManager
    detector: PatternDetector
    tracker: AccuracyTracker
    metadata: Metadata | None


def encode(state: LearningState) -> dict[str, str]:
    meta = state.metadata or Metadata("", "")
    return {SEASONAL_KEY: dumps(state.seasonal.to_json()),
            PATTERN_KEY: dumps(state.detector.to_json()),
            ACCURACY_KEY: dumps(state.tracker.to_json()),
            METADATA_KEY: dumps(meta.to_json())}


def decode(data: Mapping[str, str]) -> LearningState:
    """Parse ConfigMap data; a missing key leaves that part fresh.

    Raises ValueError on any malformed JSON or field.
    """
    try:
        parsed = {key: json.loads(data[key]) for key in KEYS if key in data}
        for key, value in parsed.items():
            if not isinstance(value, dict):
                raise ValueError(f"{key} is not a JSON object")
        return LearningState(
            SeasonalManager.from_json(parsed[SEASONAL_KEY])
            if SEASONAL_KEY in parsed else SeasonalManager(),
            PatternDetector.from_json(parsed[PATTERN_KEY])
            if PATTERN_KEY in parsed else PatternDetector(),
            AccuracyTracker.from_json(parsed[ACCURACY_KEY])
            if ACCURACY_KEY in parsed else AccuracyTracker(),
            Metadata.from_json(parsed[METADATA_KEY]) if METADATA_KEY in parsed else None)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"bad learning data: {exc!r}") from exc
