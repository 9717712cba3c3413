"""The pattern detector (support/reference/learning/patterns.py) at the edges its other tests left open:
written against the survivors of `make mutation` (docs/mutation-survivors.md): the batch-ingestion shape and
its window bounds, the cold-start and spike thresholds at their exact values, the KV-cache rise over the
last six readings, the trend's clamps, and when a pattern's start time moves.
"""
import pytest
from hamcrest import assert_that, equal_to

from support.reference.learning.patterns import (COLD_START, KV_CACHE_PRESSURE, STEADY_STATE,
                                                 TRAFFIC_SPIKE, BatchTemplate, LLMMetrics, PatternDetector)

NOW = 1_767_607_200.0  # Monday 2026-01-05 10:00:00 UTC


def running(values, step=30.0, end=NOW):
    """A detector whose requests_running readings are ``values``, ``step`` s apart, the last at ``end``."""
    detector = PatternDetector()
    for i, value in enumerate(values):
        detector.add_data_point(end - (len(values) - 1 - i) * step, {}, LLMMetrics(requests_running=value))
    return detector


def caches(values):
    detector = PatternDetector()
    for i, value in enumerate(values):
        detector.add_data_point(NOW - (len(values) - 1 - i) * 30, {}, LLMMetrics(gpu_cache_usage=value))
    return detector


# -- batch ingestion: current > 2 x baseline, the 6th of the last 10 > 1.5 x baseline, current > 1.2 x that --
def spike(mid=20.0, current=30.0, edges=1000.0):
    # 21 readings 30 s apart: the baseline is those strictly between 600 s and 300 s ago (10 each); the
    # readings exactly 600 s and 300 s ago are ``edges`` and must not count; of the last ten the 6th is
    # ``mid`` and the 7th 15
    return running([edges] + [10.0] * 9 + [edges] + [10.0] * 5 + [mid, 15.0, 20.0, 20.0, current])


def test_a_batch_spike_is_read_from_the_baseline_the_middle_and_the_last_reading():
    assert_that(spike()._batch_ingestion(NOW), equal_to(True),
                "baseline 10 (the readings at exactly 600 s and 300 s left out), middle 20, last 30")


def test_exactly_ten_readings_are_enough_for_a_batch_spike():
    detector = running([10.0, 10.0, 10.0, 10.0, 10.0, 20.0, 15.0, 20.0, 20.0, 30.0], step=60)
    assert_that(detector._batch_ingestion(NOW), equal_to(True), "10 readings 60 s apart, baseline 10, 20 then 30")


@pytest.mark.parametrize("mid, current, why", [
    (16.0, 20.0, "the last reading exactly 2 x the baseline is not above it"),
    (15.0, 30.0, "the middle reading exactly 1.5 x the baseline is not above it"),
    (20.0, 24.0, "the last reading exactly 1.2 x the middle one is not above it"),
    (20.0, 20.0, "the second-to-last reading does not stand in for the last"),
])
def test_a_batch_spike_needs_each_bound_strictly(mid, current, why):
    detector = spike(mid=mid, current=current)
    assert_that(detector._batch_ingestion(NOW), equal_to(False), why)


def test_the_middle_reading_is_the_sixth_of_the_last_ten():
    detector = spike()
    assert_that(detector.values("requests_running")[-5:-3], equal_to([20.0, 15.0]), "the 6th is 20, the 7th 15")
    assert_that(detector._batch_ingestion(NOW), equal_to(True), "the 6th (20 > 15) decides, not the 7th (15)")


def test_a_known_batch_shape_is_recognised_without_a_spike():
    detector = running([10.0] * 21)
    detector.batch_templates.append(BatchTemplate("known", [1.0] * 10, 2.0))
    assert_that(detector._batch_ingestion(NOW), equal_to(True), "a flat shape matches a flat template (cosine 1)")


# -- cold start and traffic spike at their thresholds --------------------------------------------------------
@pytest.mark.parametrize("series, cache, expected, why", [
    ([5, 5, 5, 7, 7, 7], 0.2, COLD_START, "cache exactly 0.2 is still cold"),
    ([7.5, 7.5, 7.5, 10, 10, 10], 0.1, COLD_START, "exactly 10 requests running is still cold"),
    ([8, 8, 8, 11, 11, 11], 0.1, STEADY_STATE, "11 requests running is not a cold start"),
    ([5, 5, 5, 6.5, 6.5, 6.5], 0.1, STEADY_STATE, "a trend of exactly 0.3 is not a cold start"),
    ([10, 10, 10, 15, 15, 15], 0.5, STEADY_STATE, "a trend of exactly 0.5 is not a spike"),
    ([10, 10, 10, 16, 16, 16], 0.5, TRAFFIC_SPIKE, "a trend of 0.6 is a spike"),
])
def test_cold_start_and_spike_thresholds(series, cache, expected, why):
    detector = running([float(v) for v in series])
    llm = LLMMetrics(gpu_cache_usage=cache, requests_running=float(series[-1]))
    assert_that(detector._classify(NOW, llm)[0], equal_to(expected), why)


# -- KV-cache pressure from the rise over the last six readings --------------------------------------------
@pytest.mark.parametrize("series, expected, why", [
    ([0.9, 0.5, 0.5, 0.2, 0.9, 0.9, 0.9], True, "only the last six count: 0.4 -> 0.9"),
    ([0.7, 0.7, 0.7, 0.5, 0.95, 0.95], False, "the rise is of the last three over the first three: 0.1"),
    ([0.6, 0.6, 0.6, 0.95, 0.8, 0.8], True, "0.6 -> 0.85: a rise of 0.25"),
    ([0.8, 0.8, 0.8, 0.85, 0.85, 0.85], False, "high but rising only 0.05"),
    ([0.4, 0.4, 0.4, 0.2, 0.9, 0.9], False, "rising 0.27 but the last three average 0.67, not above 0.7"),
])
def test_kv_pressure_from_the_cache_rise(series, expected, why):
    assert_that(caches(series)._kv_pressure(0.1, 0), equal_to(expected), why)


# -- the trend --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("series, expected, why", [
    ([0, 0, 0, 0.5, 0.5, 0.5], 1.0, "from nothing to anything (even below 1) is the full rise"),
    ([1, 1, 1, 3, 3, 3], 1.0, "a tripling is clamped to 1"),
])
def test_the_trend_is_clamped(series, expected, why):
    assert_that(running([float(v) for v in series]).trend("requests_running"), equal_to(expected), why)


# -- when a pattern starts ---------------------------------------------------------------------------------
def test_returning_to_steady_state_restarts_the_clock_but_staying_does_not():
    back = PatternDetector(current=KV_CACHE_PRESSURE, started=NOW - 600)
    back.detect(NOW, LLMMetrics())
    assert_that(back.started, equal_to(NOW), "back to steady state now")
    stay = PatternDetector(current=STEADY_STATE, started=NOW - 600)
    stay.detect(NOW, LLMMetrics())
    assert_that(stay.started, equal_to(NOW - 600), "steady state since 600 s ago")


def readings(times_and_values):
    detector = PatternDetector()
    for ago, value in times_and_values:
        detector.add_data_point(NOW - ago, {}, LLMMetrics(requests_running=value))
    return detector


def test_a_reading_just_over_300_s_old_is_part_of_the_baseline():
    # baseline (10 + 10 + 10 + 10 + 1000) / 5 = 208: 30 is no spike; without the reading 300.5 s ago it would be
    detector = readings([(540, 10.0), (480, 10.0), (420, 10.0), (360, 10.0), (300.5, 1000.0), (240, 20.0),
                         (180, 15.0), (120, 20.0), (60, 20.0), (0, 30.0)])
    assert_that(detector._batch_ingestion(NOW), equal_to(False), "the reading 300.5 s ago raises the baseline")


def test_a_known_batch_shape_must_match_above_0_7():
    # the last three readings 1, 0, 7 against the signature 0, 1, 1: a cosine of exactly 0.7 (in floating point)
    detector = readings([(60 * (9 - i), value) for i, value in enumerate([2.0] * 7 + [1.0, 0.0, 7.0])])
    template = BatchTemplate("known", [0.0, 1.0, 1.0], 2.0)
    detector.batch_templates.append(template)
    assert_that(detector.template_match(template), equal_to(0.7), "the shape matches at exactly 0.7")
    assert_that(detector._batch_ingestion(NOW), equal_to(False), "0.7 is not above 0.7: not a batch")
