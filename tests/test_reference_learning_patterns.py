"""Pattern detector (§5.5): detection order, entry confidences, trend, learning."""
import pytest

from support.reference.learning.patterns import (BATCH_INGESTION, COLD_START,
                                                 KV_CACHE_PRESSURE, STEADY_STATE,
                                                 TRAFFIC_DRAIN, TRAFFIC_SPIKE, LLMMetrics,
                                                 PatternDetector)

NOW = 1_767_607_200.0  # Monday 2026-01-05 10:00:00 UTC
RAMP = [10, 10, 10, 12, 14, 16, 18, 20, 22, 25]


def running_history(values, step=30.0, end=NOW):
    """A detector whose requests_running history is ``values``, one every ``step`` s."""
    detector = PatternDetector()
    for i, value in enumerate(values):
        ts = end - (len(values) - 1 - i) * step
        detector.add_data_point(ts, {}, LLMMetrics(requests_running=value))
    return detector


def test_kv_cache_pressure_above_080_with_more_than_five_waiting():
    detector = PatternDetector()
    assert detector.detect(NOW, LLMMetrics(gpu_cache_usage=0.85, requests_waiting=6)) \
        == KV_CACHE_PRESSURE
    assert detector.confidence == 0.85
    assert detector.started == NOW


@pytest.mark.parametrize("cache, waiting", [(0.80, 6), (0.85, 5)])
def test_kv_thresholds_are_strict(cache, waiting):
    detector = PatternDetector()
    assert detector.detect(NOW, LLMMetrics(gpu_cache_usage=cache, requests_waiting=waiting)) \
        == STEADY_STATE


def test_kv_cache_pressure_from_a_rising_cache_history():
    detector = PatternDetector()
    for i, cache in enumerate([0.5, 0.5, 0.5, 0.8, 0.8, 0.8]):
        detector.add_data_point(NOW - 50 + 10 * i, {}, LLMMetrics(gpu_cache_usage=cache))
    # mean(last 3) − mean(first 3) = 0.3 > 0.15 and 0.8 > 0.7
    assert detector.detect(NOW, LLMMetrics(gpu_cache_usage=0.8)) == KV_CACHE_PRESSURE


def test_batch_ingestion_needs_a_ramp_over_five_minutes_of_baseline():
    # 30 s points from now−900: those in (now−600, now−300) are all 10 (the baseline);
    # last 10: mid (6th) = 16 > 15, current 25 > 20 and > 1.2 × 16
    detector = running_history([10] * 21 + RAMP)
    llm = LLMMetrics(gpu_cache_usage=0.5, requests_running=25)
    assert detector.detect(NOW, llm) == BATCH_INGESTION
    assert detector.confidence == 0.75


def test_without_baseline_history_the_same_ramp_is_a_traffic_spike():
    detector = running_history(RAMP)
    # trend: first half mean 11.2, second half 20.2 -> 0.8036
    assert detector.trend("requests_running") == pytest.approx(9 / 11.2)
    assert detector.detect(NOW, LLMMetrics(gpu_cache_usage=0.5, requests_running=25)) \
        == TRAFFIC_SPIKE
    assert detector.confidence == pytest.approx(0.6 + 0.3 * 9 / 11.2)


def test_traffic_drain_by_falling_trend():
    detector = running_history([20, 20, 20, 8, 8, 8])
    assert detector.trend("requests_running") == pytest.approx(-0.6)
    assert detector.detect(NOW, LLMMetrics(gpu_cache_usage=0.5)) == TRAFFIC_DRAIN
    assert detector.confidence == pytest.approx(0.78)


def test_trend_of_exactly_minus_half_is_steady():
    detector = running_history([20, 20, 20, 10, 10, 10])
    assert detector.detect(NOW, LLMMetrics(gpu_cache_usage=0.5)) == STEADY_STATE
    assert detector.confidence == 0.5


def test_cold_start_with_low_cache_few_requests_and_rising_trend():
    detector = running_history([0, 0, 0, 1, 2, 3])
    assert detector.trend("requests_running") == 1.0  # first half mean 0, second > 0
    assert detector.detect(NOW, LLMMetrics(gpu_cache_usage=0.1, requests_running=3)) \
        == COLD_START
    assert detector.confidence == 0.7


def test_trend_needs_six_points_and_uses_the_last_twelve():
    assert running_history([1, 2, 3, 4, 5]).trend("requests_running") == 0.0
    # the 100s fall outside the last 12 points
    detector = running_history([100, 100] + [10] * 6 + [12] * 6)
    assert detector.trend("requests_running") == pytest.approx(0.2)


def test_confidence_and_start_change_only_on_a_transition():
    detector = running_history(RAMP)
    detector.detect(NOW, LLMMetrics(gpu_cache_usage=0.5))
    entry = detector.confidence
    detector.add_data_point(NOW + 30, {}, LLMMetrics(requests_running=40))
    assert detector.detect(NOW + 30, LLMMetrics(gpu_cache_usage=0.5)) == TRAFFIC_SPIKE
    assert (detector.confidence, detector.started) == (entry, NOW)


def test_histories_keep_180_points_per_metric():
    detector = PatternDetector()
    for i in range(200):
        detector.add_data_point(NOW + i, {"load": float(i)}, LLMMetrics())
    assert len(detector.values("load")) == 180
    assert detector.values("load")[0] == 20.0
    assert len(detector.values("token_throughput")) == 180


def test_kv_template_learning_and_adjustment():
    detector = PatternDetector(current=KV_CACHE_PRESSURE, confidence=0.85)
    assert detector.adjustment().factor == 1.5  # no template yet: default
    detector.learn(NOW, False, 2.0)            # new template counts as a success
    detector.learn(NOW, False, 3.0)
    detector.learn(NOW, True, 3.0)
    template = detector.kv_templates[0.80]
    assert (template.successes, template.total) == (2, 3)
    assert template.action == pytest.approx(0.2 * 3.0 + 0.8 * 2.0)
    adjustment = detector.adjustment()
    assert adjustment.factor == pytest.approx(2.2)
    assert adjustment.confidence == pytest.approx(2 / 3 * 0.85)
    assert adjustment.reason.startswith("KV cache pressure detected - scaling up")


def test_batch_template_learning():
    detector = running_history([10] * 21 + RAMP)
    detector.current, detector.confidence = BATCH_INGESTION, 0.75
    detector.learn(NOW, True, 2.0)
    (template,) = detector.batch_templates
    assert template.name == "batch_pattern_20260105_100000"
    assert template.signature == pytest.approx([v / 15.7 for v in RAMP])
    assert (template.confidence, template.match_count, template.multiplier) == (0.5, 1, 2.0)
    detector.learn(NOW, True, 3.0)  # same shape: cosine 1 > 0.8
    assert template.match_count == 2
    assert template.confidence == pytest.approx(0.55)
    assert template.multiplier == pytest.approx(2.2)
    detector.learn(NOW, False, 3.0)
    assert template.confidence == pytest.approx(0.495)
    assert detector.template_match(template) > 0.7


def test_simple_adjustments():
    assert PatternDetector().adjustment() is None
    drain = PatternDetector(current=TRAFFIC_DRAIN, confidence=0.78).adjustment()
    assert (drain.factor, drain.confidence) == (0.8, 0.78)


def test_json_round_trip_keeps_templates_and_pattern_not_history():
    detector = running_history([10] * 21 + RAMP)
    detector.current, detector.confidence = BATCH_INGESTION, 0.75
    detector.learn(NOW, True, 2.0)
    data = detector.to_json()
    assert data["kvCachePatterns"] is None
    assert set(data["batchPatterns"][0]) == {"name", "signature", "typicalDuration",
                                            "optimalScaleMultiplier", "confidence",
                                            "matchCount"}
    restored = PatternDetector.from_json(data)
    assert (restored.current, restored.confidence) == (BATCH_INGESTION, 0.75)
    assert restored.batch_templates == detector.batch_templates
    assert restored.histories == {}
