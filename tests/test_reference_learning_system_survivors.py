"""The learning system (support/reference/learning/system.py) at the edges its other tests left open: written
against the survivors of `make mutation` (docs/mutation-survivors.md): verification at 0 and 1 replicas and
one replica off, the ring capacity, what the pattern detector learns from an outcome, the ConfigMap metadata,
the stored size reported in the status, the dirty flag after a verification, and the historical-days bound.
"""
import json

import pytest
from hamcrest import assert_that, contains_exactly, equal_to, has_entries, has_length, is_, none

from support.reference.learning import LearningSystem, LLMMetrics
from support.reference.learning import storage
from support.reference.learning.patterns import BATCH_INGESTION, KV_CACHE_PRESSURE
from support.reference.learning.system import RING_CAPACITY, PendingVerification
from support.reference.learning.timefmt import rfc3339
from support.reference.model import CONTRACT, model_named

T = 1_767_607_200.0  # Monday 2026-01-05 10:00:00 UTC


def system(model=CONTRACT, look_ahead=1, historical_days=7):
    return LearningSystem("llm", "ns", look_ahead_minutes=look_ahead, historical_days=historical_days,
                          enabled=True, model=model)


def verified(current, predicted, actual):
    ls = system()
    ls.record(T, {}, LLMMetrics(), current, predicted, predicted)
    ls.verify(T + 60, actual)
    (outcome,) = ls.completed
    return outcome


# -- one verification --------------------------------------------------------------------
def test_the_error_is_relative_to_the_actual_count_and_undefined_at_zero():
    assert_that(verified(1, 2, 1).prediction_error, equal_to(1.0), "2 predicted, 1 actual: +100 %")
    assert_that(verified(1, 2, 0).prediction_error, is_(none()), "no error ratio against 0 actual replicas")


def test_one_replica_off_is_neither_over_nor_under_provisioned():
    for predicted, actual in ((2, 3), (3, 3), (4, 3)):
        outcome = verified(3, predicted, actual)
        assert_that((outcome.over_provisioned, outcome.under_provisioned), equal_to((False, False)),
                    f"{predicted} predicted for {actual} actual is within one replica")


def test_a_pending_verification_keeps_what_was_recorded():
    ls = system(look_ahead=5)
    ls.record(T, {}, LLMMetrics(), 2, 3, 4)
    assert_that(list(ls.pending), contains_exactly(PendingVerification(T, T + 300, 2, 3, 4)),
                "time, due time, current, recommended and predicted as recorded")


def test_matching_directions_count_as_correct():
    ls = system()
    ls.record(T, {}, LLMMetrics(), 2, 4, 4)       # predicted up from 2 to 4
    ls.verify(T + 60, 3)                          # and it went up, to 3
    assert_that(ls.status(T + 60)["directionAccuracy"], equal_to("100.0%"),
                "predicted up and went up: the direction was right though the count was not")


# -- the ring capacity -------------------------------------------------------------------
def test_pending_and_completed_verifications_are_capped_at_the_ring_capacity():
    ls = system(look_ahead=1)
    for i in range(RING_CAPACITY + 5):
        ls.record(T + 10 * i, {}, LLMMetrics(), 1, 1, 1)
    assert_that(ls.pending, has_length(RING_CAPACITY), "the oldest pending verifications are dropped")
    ls.verify(T + 10 * (RING_CAPACITY + 5) + 60, 1)
    later = T + 10 * (RING_CAPACITY + 10)
    for i in range(5):
        ls.record(later + 10 * i, {}, LLMMetrics(), 1, 1, 1)
    ls.verify(later + 200, 1)
    assert_that(ls.completed, has_length(RING_CAPACITY), "the oldest verified predictions are dropped")


def test_pending_verifications_stay_capped_after_a_verification():
    ls = system(look_ahead=1)
    for i in range(RING_CAPACITY):
        ls.record(T + 10 * i, {}, LLMMetrics(), 1, 1, 1)
    ls.verify(T + 60, 1)                          # the first 7 (T .. T + 60) are due
    later = T + 10 * RING_CAPACITY
    for i in range(20):
        ls.record(later + 10 * i, {}, LLMMetrics(), 1, 1, 1)
    assert_that(ls.pending, has_length(RING_CAPACITY), "993 left + 20 new: still capped at the capacity")


# -- what the pattern detector learns --------------------------------------------------------
def in_kv_pressure(current, predicted, actual, confidence=0.85):
    """A system whose detector is in KV-cache pressure when a prediction matures."""
    ls = system()
    ls.record(T, {}, LLMMetrics(), current, predicted, predicted)
    ls.detector.current, ls.detector.confidence = KV_CACHE_PRESSURE, confidence
    ls.verify(T + 60, actual)
    return ls.detector.kv_templates


@pytest.mark.parametrize("current, actual, multiplier", [(2, 3, 1.5), (2, 1, 0.5), (1, 3, 3.0), (0, 3, 1.0),
                                                         (2, 0, 1.0)])
def test_the_learned_action_is_actual_over_the_count_before(current, actual, multiplier):
    (template,) = in_kv_pressure(current, actual, actual).values()
    assert_that(template.action, equal_to(multiplier), f"{current} -> {actual} replicas")


def test_a_pattern_held_at_exactly_half_confidence_teaches_nothing():
    assert_that(in_kv_pressure(2, 3, 3, confidence=0.5), equal_to({}), "learning needs more than 0.5 confidence")


@pytest.mark.parametrize("predicted, successes", [(3, 2), (6, 1), (1, 1)])
def test_a_known_template_counts_a_success_only_within_one_replica(predicted, successes):
    ls = system()
    ls.record(T, {}, LLMMetrics(), 2, 3, 3)
    ls.record(T + 10, {}, LLMMetrics(), 2, predicted, predicted)
    ls.detector.current, ls.detector.confidence = KV_CACHE_PRESSURE, 0.85
    ls.verify(T + 70, 3)                          # the first creates the template, the second counts
    (template,) = ls.detector.kv_templates.values()
    assert_that((template.successes, template.total), equal_to((successes, 2)),
                f"{predicted} predicted for 3 actual")


def test_a_new_batch_template_is_named_after_the_time_of_the_prediction():
    ls = system()
    for i in range(10):
        ls.record(T + 10 * i, {}, LLMMetrics(requests_running=float(i)), 1, 2, 2)
    ls.detector.current, ls.detector.confidence = BATCH_INGESTION, 0.85
    ls.verify(T + 60, 2)
    names = [t.name for t in ls.detector.batch_templates]
    assert_that(names, equal_to(["batch_pattern_20260105_100000"]), "named after the first matured prediction")


# -- the LLM signals the as-built controller never fills in -----------------------------------------
def test_as_built_the_llm_signals_are_recorded_as_zero():
    ls = system(model=model_named("as-built", ["llm-metrics-zero"]))
    ls.record(T, {}, LLMMetrics(gpu_cache_usage=0.9, requests_waiting=10, requests_running=5,
                                token_throughput=100), 1, 1, 1)
    llm_series = {name: ls.detector.values(name) for name in ls.detector.histories}
    assert_that(llm_series, equal_to({name: [0.0] for name in llm_series}),
                "every LLM signal is stored as 0 as built")
    assert_that(llm_series, has_length(4), "the four LLM signals are stored")


# -- persistence -----------------------------------------------------------------------------------
def metadata(data):
    return json.loads(data[storage.METADATA_KEY])


def test_the_configmap_metadata_names_the_scaler_and_its_times():
    ls = system()
    ls.record(T, {"load": 1.0}, LLMMetrics(), 1, 1, 1)
    ls.record(T + 10, {"load": 1.0}, LLMMetrics(), 1, 1, 1)
    assert_that(metadata(ls.configmap_data(T + 20)),
                has_entries(scalerName="llm", namespace="ns", createdAt=rfc3339(T, fractional=True),
                            lastUpdated=rfc3339(T + 20, fractional=True)),
                "the metadata says whose data it is, when it started and when it was saved")


def test_as_built_the_configmap_still_has_metadata():
    ls = system(model=model_named("as-built", ["learning-status-fields-unset"]))
    ls.record(T, {"load": 1.0}, LLMMetrics(), 1, 1, 1)
    assert_that(metadata(ls.configmap_data(T + 20)), has_entries(scalerName="llm", namespace="ns"),
                "as built the metadata key is written too")


def test_the_storage_used_is_the_size_last_saved():
    ls = system()
    ls.record(T, {"load": 1.0}, LLMMetrics(), 1, 1, 1)
    saved = storage.storage_size(ls.configmap_data(T))
    for i in range(1, 30):
        ls.record(T + 10 * i, {"load": float(i), f"m{i}": 1.0}, LLMMetrics(), 1, 1, 1)
    assert_that(ls.status(T + 300)["storageUsed"], equal_to(storage.format_bytes(saved)),
                "the status reports what the ConfigMap holds, not what a save would take now")


def test_before_the_first_save_the_storage_used_is_what_a_save_would_take():
    # the save time (with microseconds) is part of the size; metric names of growing length move the total
    # across the 0.1 KiB steps of the status
    now = T + 10.123456
    for length in range(1, 120):
        ls, twin = system(), system()
        for one in (ls, twin):
            one.record(T, {"m" * length: 1.0}, LLMMetrics(), 1, 1, 1)
        assert_that(ls.status(now)["storageUsed"],
                    equal_to(storage.format_bytes(storage.storage_size(twin.configmap_data(now)))),
                    f"unsaved (metric name of {length} characters): the size of saving now")


def test_a_verification_after_a_save_makes_the_state_worth_saving_again():
    ls = system()
    ls.record(T, {"load": 1.0}, LLMMetrics(), 1, 2, 2)
    ls.configmap_data(T)
    assert_that(ls.should_persist(T + 300), equal_to(False), "nothing new since the save")
    ls.verify(T + 300, 2)
    assert_that(ls.should_persist(T + 300), equal_to(True), "the verification changed the accuracy data")


# -- configuration -----------------------------------------------------------------------------------
@pytest.mark.parametrize("days, kept", [(1, 1), (30, 30), (90, 90), (0, 7), (91, 7), (None, 7), (-3, 7)])
def test_historical_days_outside_1_to_90_fall_back_to_7(days, kept):
    assert_that(system(historical_days=days).historical_days, equal_to(kept), f"historicalDataDays {days}")
