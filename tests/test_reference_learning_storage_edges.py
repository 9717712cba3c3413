"""Edges of the learning ConfigMap's encoding (support/reference/learning/storage.py), by hand.

Written against the survivors of `make mutation` in support/reference/learning/storage.py: the
ConfigMap's name, labels and annotations, sizes, the metadata record both ways, and bad data.
"""
import json

import pytest

from support.reference.learning.accuracy_tracker import AccuracyTracker
from support.reference.learning.patterns import PatternDetector
from support.reference.learning.seasonal import SeasonalManager
from support.reference.learning.storage import (LearningState, Metadata, configmap_annotations, configmap_labels,
                                                configmap_name, decode, dumps, encode, format_bytes, storage_size)

NOW = 1_767_607_200.0          # 2026-01-05T10:00:00Z


def test_the_configmap_name_labels_and_annotations():
    assert configmap_name("web") == "web-learning-data"
    assert configmap_labels("web") == {"scaler.bud.studio/learning-data": "true",
                                       "scaler.bud.studio/scaler-name": "web"}
    assert configmap_annotations(NOW) == {"scaler.bud.studio/last-updated": "2026-01-05T10:00:00Z",
                                          "scaler.bud.studio/version": "v1"}


def test_json_is_compact_and_sizes_count_utf8_bytes_in_binary_units():
    assert dumps({"a": [1, 2]}) == '{"a":[1,2]}'
    assert storage_size({"x": "ab", "y": "é"}) == 4          # é is two bytes
    assert [format_bytes(n) for n in (0, 1023, 1024, 1536, 1024 * 1024 - 1, 1024 * 1024, 3 * 1024 * 1024 // 2)] == [
        "0B", "1023B", "1.0KiB", "1.5KiB", "1024.0KiB", "1.0MiB", "1.5MiB"]
    assert format_bytes(100 * 1024 * 1024) == "100.0MiB"


def test_metadata_round_trips_every_field():
    meta = Metadata("web", "ns", NOW - 3600.5, NOW + 0.25, 42, NOW - 7200.75, 3, 845)   # fractions kept
    text = meta.to_json()
    assert (text["version"], text["scalerName"], text["namespace"], text["dataPointCount"], text["profilesCount"],
            text["storageSizeBytes"]) == ("v1", "web", "ns", 42, 3, 845)
    assert Metadata.from_json(json.loads(dumps(text))) == meta


def test_metadata_without_fields_reads_as_empty():
    assert Metadata.from_json({}) == Metadata("", "", None, None, 0, None, 0, 0)


def test_decode_keeps_missing_parts_fresh_and_refuses_what_is_not_an_object():
    state = decode({})
    assert state.metadata is None
    assert state.seasonal.to_json() == SeasonalManager().to_json()
    assert state.detector.to_json() == PatternDetector().to_json()
    assert state.tracker.to_json() == AccuracyTracker().to_json()
    with pytest.raises(ValueError, match=r"^bad learning data: ValueError\('metadata.json is not a JSON object'\)$"):
        decode({"metadata.json": "[1]"})
    with pytest.raises(ValueError, match="^bad learning data: "):
        decode({"metadata.json": "{"})


def test_encode_without_metadata_writes_an_empty_record():
    data = encode(LearningState(SeasonalManager(), PatternDetector(), AccuracyTracker(), None))
    assert sorted(data) == ["accuracy_tracker.json", "metadata.json", "pattern_detector.json",
                            "seasonal_profiles.json"]
    assert Metadata.from_json(json.loads(data["metadata.json"])) == Metadata("", "")
    assert decode(data).metadata == Metadata("", "")
