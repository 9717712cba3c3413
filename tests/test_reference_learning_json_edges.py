"""Edges of the learning state's JSON (support/reference/learning/{patterns,accuracy_tracker}.py).

Written against the survivors of `make mutation` there: every field a saved detector or tracker
carries comes back as it was (fractions of a second included), and what a record leaves out reads
as the controller's default.
"""
from collections import deque

import pytest

from support.reference.learning.accuracy_tracker import BUCKETS, RECENT_CAPACITY, AccuracyTracker, Ewma, Outcome
from support.reference.learning.patterns import KVTemplate, PatternDetector

NOW = 1_767_607_200.0          # 2026-01-05T10:00:00Z


def test_a_kv_template_keeps_its_response_delay_and_reads_none_as_zero():
    template = KVTemplate(0.85, 3.0, 1.5, 2_000_000_000, 4, 5)
    assert template.to_json()["responseDelay"] == 2_000_000_000
    assert KVTemplate.from_json(template.to_json()) == template
    saved = template.to_json()
    del saved["responseDelay"]
    assert KVTemplate.from_json(saved).response_delay_ns == 0


def test_a_pattern_detector_keeps_its_pattern_confidence_and_thresholds():
    detector = PatternDetector(current="traffic_spike", confidence=0.7, kv_threshold=0.9, batch_threshold=3.0,
                               kv_templates={0.85: KVTemplate(0.85, 3.0, 1.5, 0, 1, 2)})
    saved = detector.to_json()
    assert (saved["currentPattern"], saved["patternConfidence"], saved["kvCachePressureThreshold"],
            saved["batchSpikeThreshold"]) == ("traffic_spike", 0.7, 0.9, 3.0)
    loaded = PatternDetector.from_json(saved)
    assert (loaded.current, loaded.confidence, loaded.kv_threshold, loaded.batch_threshold) == (
        "traffic_spike", 0.7, 0.9, 3.0)
    assert loaded.kv_templates == detector.kv_templates


def test_a_pattern_detector_without_fields_reads_as_a_fresh_one():
    loaded = PatternDetector.from_json({})
    assert (loaded.current, loaded.confidence, loaded.kv_threshold, loaded.batch_threshold) == (
        "steady_state", 0.0, 0.8, 2.0)


def test_an_ewma_keeps_its_alpha():
    assert Ewma.from_json(Ewma(2.5, 3, 0.5).to_json()) == Ewma(2.5, 3, 0.5)


def test_an_outcome_keeps_fractions_of_a_second_and_reads_no_time_as_zero():
    outcome = Outcome(NOW + 0.25, 4, 3, 1.0)
    assert outcome.to_json()["time"] == "2026-01-05T10:00:00.25Z"
    assert Outcome.from_json(outcome.to_json()) == outcome
    assert Outcome.from_json({"time": "", "predicted": 1, "actual": 1, "error": 0}).time == 0.0


def test_a_tracker_keeps_calibration_counts_and_at_most_its_recent_capacity():
    tracker = AccuracyTracker()
    tracker.last_calibration, tracker.calibration_needed, tracker.total_predictions = NOW + 0.5, True, 7
    saved = tracker.to_json()
    assert saved["lastCalibration"] == "2026-01-05T10:00:00.5Z"
    loaded = AccuracyTracker.from_json(saved)
    assert (loaded.last_calibration, loaded.calibration_needed, loaded.total_predictions) == (NOW + 0.5, True, 7)
    for key in ("calibrationNeeded", "totalPredictions"):
        del saved[key]
    saved["recentPredictions"] = [Outcome(NOW + i, i, i, 0.0).to_json() for i in range(RECENT_CAPACITY + 1)]
    loaded = AccuracyTracker.from_json(saved)
    assert (loaded.calibration_needed, loaded.total_predictions) == (False, 0)
    assert len(loaded.recent) == RECENT_CAPACITY and loaded.recent[0].predicted == 1
    loaded.recent.append(Outcome(NOW, 0, 0, 0.0))
    assert len(loaded.recent) == RECENT_CAPACITY                    # still bounded after loading


def test_a_tracker_needs_one_entry_per_hour_of_the_week():
    saved = AccuracyTracker().to_json()
    saved["hourlyMAE"] = saved["hourlyMAE"][:-1]
    with pytest.raises(ValueError, match=f"^expected {BUCKETS} buckets, got list$"):
        AccuracyTracker.from_json(saved)
    saved["hourlyMAE"] = {}
    with pytest.raises(ValueError, match=f"^expected {BUCKETS} buckets, got dict$"):
        AccuracyTracker.from_json(saved)
    assert isinstance(AccuracyTracker.from_json(AccuracyTracker().to_json()).recent, deque)
