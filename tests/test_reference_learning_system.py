"""The learning system facade (§5.5, §1.3): record, verify, status, persistence."""
import json

import pytest

from support.reference.learning import LearningSystem, LLMMetrics
from support.reference.model import AS_BUILT, CONTRACT

T = 1_767_607_200.0  # Monday 2026-01-05 10:00:00 UTC
KV = LLMMetrics(gpu_cache_usage=0.9, requests_waiting=10)


def system(model=CONTRACT, look_ahead=5, enabled=True):
    return LearningSystem("llm", "ns", look_ahead_minutes=look_ahead, historical_days=7,
                          enabled=enabled, model=model)


def test_throttle_records_one_verification_per_ten_seconds():
    ls = system()
    for dt in (0, 5, 9.9, 10, 15):
        ls.record(T + dt, {"load": 1.0}, LLMMetrics(), 2, 2, 2)
    assert [p.timestamp for p in ls.pending] == [T, T + 10]
    assert ls.status(T + 15)["dataPointsCollected"] == 5  # seasonal updates not throttled


def test_throttled_record_does_not_mark_dirty():
    ls = system()
    ls.record(T, {}, LLMMetrics(), 1, 1, 1)
    ls.configmap_data(T)
    ls.record(T + 5, {"load": 1.0}, LLMMetrics(), 1, 1, 1)
    assert not ls.dirty


def test_verification_matures_after_the_look_ahead():
    ls = system(look_ahead=5)
    ls.record(T, {"load": 1.0}, LLMMetrics(), 2, 3, 3)
    assert ls.pending[0].verify_at == T + 300
    assert ls.verify(T + 299, 2) == 0
    assert ls.verify(T + 300, 2) == 1
    assert ls.verify(T + 310, 2) == 0
    (done,) = ls.completed
    assert (done.actual, done.prediction_error) == (2, 0.5)
    assert not done.over_provisioned and not done.under_provisioned


def test_over_and_under_provisioned_beyond_one_replica():
    ls = system(look_ahead=1)
    ls.record(T, {}, LLMMetrics(), 2, 5, 5)
    ls.record(T + 10, {}, LLMMetrics(), 5, 1, 1)
    ls.verify(T + 70, 3)
    over, under = ls.completed
    assert over.over_provisioned and not over.under_provisioned
    assert under.under_provisioned and not under.over_provisioned


def test_status_strings_after_one_verification_contract():
    ls = system()
    ls.record(T, {"load": 40.0}, LLMMetrics(), 2, 3, 3)
    ls.verify(T + 300, 2)  # err 1, 50 %, predicted up, actual none
    status = ls.status(T + 300)
    assert status["recentMAE"] == "1.00"
    assert status["recentMAPE"] == "50.00%"
    assert status["directionAccuracy"] == "0.0%"
    assert status["overallAccuracy"] == "25.0%"  # (100 × (1 − 0.5) + 0) / 2
    assert status["calibrationNeeded"] is True
    assert status["configMapName"] == "llm-learning-data"
    assert status["dataPointsCollected"] == 1
    assert status["oldestDataPoint"] == "2026-01-05T10:00:00Z"
    assert status["currentSeasonalFactor"] == "1.00"  # fewer than 10 observations
    assert status["storageUsed"].endswith("KiB")
    assert "lastCalibration" not in status  # skipped: fewer than 20 predictions
    assert "seasonalDataComplete" not in status


def test_status_as_built_copies_direction_into_overall_and_leaves_fields_unset():
    ls = system(AS_BUILT)
    ls.record(T, {"load": 40.0}, LLMMetrics(), 2, 3, 3)
    ls.verify(T + 300, 2)
    status = ls.status(T + 300)
    assert status["overallAccuracy"] == status["directionAccuracy"] == "0.0%"
    for unset in ("oldestDataPoint", "currentSeasonalFactor", "lastCalibration", "storageUsed"):
        assert unset not in status
    assert (status["detectedPattern"], status["patternConfidence"]) == ("steady_state", "0.00")


def test_fresh_status_is_vacuously_complete():
    status = system(AS_BUILT).status(T)
    assert status == {"dataPointsCollected": 0, "overallAccuracy": "0.0%",
                      "directionAccuracy": "0.0%", "recentMAPE": "0.00%", "recentMAE": "0.00",
                      "detectedPattern": "steady_state", "patternConfidence": "0.00",
                      "calibrationNeeded": False, "configMapName": "llm-learning-data",
                      "seasonalDataComplete": True}


def test_direction_accuracy_formats_two_thirds():
    ls = system(AS_BUILT, look_ahead=1)
    ls.record(T, {}, LLMMetrics(), 2, 3, 3)        # up, actual 3 up: right
    ls.record(T + 10, {}, LLMMetrics(), 3, 3, 3)   # none vs none: right
    ls.record(T + 20, {}, LLMMetrics(), 3, 4, 4)   # up vs none: wrong
    ls.verify(T + 80, 3)
    assert ls.status(T + 80)["directionAccuracy"] == "66.7%"


def test_kv_pressure_detected_under_contract_never_as_built():
    for model, pattern, confidence in ((CONTRACT, "kv_cache_pressure", "0.85"),
                                       (AS_BUILT, "steady_state", "0.00")):
        ls = system(model)
        ls.record(T, {"load": 1.0}, KV, 1, 1, 1)
        status = ls.status(T)
        assert (status["detectedPattern"], status["patternConfidence"]) == (pattern, confidence)


def test_pattern_learns_when_confident():
    ls = system(look_ahead=1)
    ls.record(T, {}, KV, 2, 4, 4)
    ls.verify(T + 60, 4)
    template = ls.detector.kv_templates[0.80]
    assert template.action == 2.0  # actual / before


def test_calibration_lowers_alpha_when_accurate():
    ls = system(look_ahead=1)
    for i in range(20):
        ls.record(T + 10 * i, {"load": 1.0}, LLMMetrics(), 2, 3, 3)
    ls.verify(T + 600, 3)  # 20 exact predictions: MAPE 0 < 10, direction 1.0
    ls.tracker.calibration_needed = True
    ls.record(T + 600, {"load": 1.0}, LLMMetrics(), 3, 3, 3)
    ls.verify(T + 660, 3)
    assert ls.seasonal.current_alpha() == pytest.approx(0.095)
    assert ls.status(T + 660)["lastCalibration"] == "2026-01-05T10:11:00Z"


def test_disabled_learning_does_nothing():
    ls = system(enabled=False)
    ls.record(T, {"load": 1.0}, LLMMetrics(), 1, 2, 2)
    assert ls.verify(T + 900, 1) == 0
    assert ls.status(T)["dataPointsCollected"] == 0


def test_should_persist_when_dirty_every_five_minutes_contract_only():
    ls = system()
    assert not ls.should_persist(T)  # nothing to save
    ls.record(T, {"load": 1.0}, LLMMetrics(), 1, 1, 1)
    assert ls.should_persist(T)      # never persisted: due
    ls.configmap_data(T)
    ls.record(T + 60, {"load": 1.0}, LLMMetrics(), 1, 1, 1)
    assert not ls.should_persist(T + 299)
    assert ls.should_persist(T + 300)
    built = system(AS_BUILT)
    built.record(T, {"load": 1.0}, LLMMetrics(), 1, 1, 1)
    assert not built.should_persist(T + 3600)


def test_configmap_identity():
    assert LearningSystem.configmap_name("llm") == "llm-learning-data"
    assert LearningSystem.configmap_labels("llm") == {
        "scaler.bud.studio/learning-data": "true", "scaler.bud.studio/scaler-name": "llm"}
    assert LearningSystem.configmap_annotations(T) == {
        "scaler.bud.studio/last-updated": "2026-01-05T10:00:00Z",
        "scaler.bud.studio/version": "v1"}


def trained(model=CONTRACT):
    ls = system(model, look_ahead=1)
    for i in range(12):
        ls.record(T + 10 * i, {"load": 40.0 + i, "queue": 2.0}, KV, 2, 3, 3)
    ls.verify(T + 180, 2)
    return ls


def test_configmap_data_has_the_controllers_four_keys():
    ls = trained()
    data = ls.configmap_data(T + 180)
    assert set(data) == {"seasonal_profiles.json", "pattern_detector.json",
                         "accuracy_tracker.json", "metadata.json"}
    assert not ls.dirty
    meta = json.loads(data["metadata.json"])
    assert meta["version"] == "v1" and meta["scalerName"] == "llm"
    assert (meta["dataPointCount"], meta["profilesCount"]) == (24, 2)
    assert meta["storageSizeBytes"] == sum(len(v) for k, v in data.items()
                                           if k != "metadata.json")
    assert json.loads(data["pattern_detector.json"])["currentPattern"] == "kv_cache_pressure"
    assert len(json.loads(data["seasonal_profiles.json"])["profiles"]["load"]["buckets"]) == 168


def test_as_built_metadata_leaves_times_and_size_zero():
    meta = json.loads(trained(AS_BUILT).configmap_data(T + 180)["metadata.json"])
    assert meta["createdAt"] == meta["oldestDataPoint"] == "0001-01-01T00:00:00Z"
    assert meta["storageSizeBytes"] == 0


@pytest.mark.parametrize("model", [CONTRACT, AS_BUILT])
def test_round_trip_restores_points_accuracy_and_pattern(model):
    ls = trained(model)
    restored = system(model)
    restored.load_configmap_data(ls.configmap_data(T + 180))
    assert restored.status(T + 180) == ls.status(T + 180)
    assert restored.detector.kv_templates == ls.detector.kv_templates
    assert restored.tracker == ls.tracker


def test_bad_json_raises_and_leaves_state_fresh():
    ls = trained()
    data = dict(ls.configmap_data(T + 180))
    data["accuracy_tracker.json"] = "{not json"
    with pytest.raises(ValueError):
        ls.load_configmap_data(data)
    assert ls.status(T)["dataPointsCollected"] == 0
    with pytest.raises(ValueError):
        ls.load_configmap_data({"seasonal_profiles.json": '{"profiles": {"x": {}}}'})
    assert ls.seasonal.profiles == {}
