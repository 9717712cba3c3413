"""Pattern detector edges (§5.5): cosine, adjustments of every pattern, template limits and matching.

Written against the survivors of `make mutation` in support/reference/learning/patterns.py.
"""

import time

import pytest

from support.reference.learning.patterns import (BATCH_INGESTION, KV_CACHE_PRESSURE, MAX_BATCH_TEMPLATES,
                                                 SIGNATURE_POINTS, Adjustment, BatchTemplate, KVTemplate,
                                                 LLMMetrics, PatternDetector, cosine)

NOW = 1_767_607_200.0  # Monday 2026-01-05 10:00:00 UTC


def with_running(values, step=30.0):
    detector = PatternDetector()
    for i, value in enumerate(values):
        detector.add_data_point(NOW - (len(values) - 1 - i) * step, {}, LLMMetrics(requests_running=value))
    return detector


def test_cosine_is_the_normalised_dot_product():
    assert cosine([3, 4], [3, 4]) == pytest.approx(1.0)
    assert cosine([1, 2], [2, 1]) == pytest.approx(4 / 5)
    assert cosine([2, 0], [0, 5]) == 0.0
    assert cosine([1, 3], [2, 8]) == pytest.approx(26 / (10 ** 0.5 * 68 ** 0.5))
    assert cosine([0, 0], [1, 2]) == 0.0  # a zero norm is no similarity


def test_a_kv_template_without_predictions_has_no_success_rate():
    assert KVTemplate(successes=0, total=0).success_rate() == 0.0
    assert KVTemplate(successes=3, total=4).success_rate() == 0.75


def test_the_default_adjustments_of_kv_pressure_and_batch_ingestion():
    assert PatternDetector(current=KV_CACHE_PRESSURE, confidence=0.85).adjustment() == Adjustment(
        1.5, pytest.approx(0.85 * 0.7), "KV cache pressure detected - default scale up")
    assert PatternDetector(current=BATCH_INGESTION, confidence=0.75).adjustment() == Adjustment(
        2.0, pytest.approx(0.75 * 0.6), "Batch ingestion detected - scaling for burst")


def test_a_learned_template_is_used_only_above_its_thresholds():
    kv = PatternDetector(current=KV_CACHE_PRESSURE, confidence=0.85,
                         kv_templates={0.8: KVTemplate(action=3.0, successes=3, total=5)})  # rate 0.6: not above
    assert kv.adjustment().factor == 1.5
    kv.kv_templates[0.8].successes = 4  # 0.8
    assert kv.adjustment().factor == 3.0
    batch = PatternDetector(current=BATCH_INGESTION, confidence=0.75,
                            batch_templates=[BatchTemplate("b", [1.0] * 10, 4.0, confidence=0.6)])
    assert batch.adjustment().factor == 2.0  # confidence 0.6: not above
    batch.batch_templates[0].confidence = 0.9
    assert batch.adjustment() == Adjustment(4.0, pytest.approx(0.75 * 0.9), "Batch ingestion pattern detected")


def test_a_batch_template_reloads_its_typical_duration_and_defaults_it():
    saved = BatchTemplate("b", [1.0, 2.0], 2.0, 0.5, 1, typical_duration_ns=7).to_json()
    assert BatchTemplate.from_json(saved).typical_duration_ns == 7
    del saved["typicalDuration"]
    assert BatchTemplate.from_json(saved).typical_duration_ns == 0


@pytest.fixture
def local_time_not_utc(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_batch_learning_needs_ten_points_and_names_templates_in_utc(local_time_not_utc):
    short = with_running([5] * (SIGNATURE_POINTS - 1))
    short.current = BATCH_INGESTION
    short.learn(NOW, True, 2.0)
    assert short.batch_templates == []
    exact = with_running([5] * SIGNATURE_POINTS)
    exact.current = BATCH_INGESTION
    exact.learn(NOW + 3600 * 5, True, 2.0)  # 15:00 UTC
    (template,) = exact.batch_templates
    assert template.name == "batch_pattern_20260105_150000"
    assert template.signature == [1.0] * SIGNATURE_POINTS


def test_batch_templates_stop_at_ten_and_match_only_above_08():
    detector = with_running([1, 9, 1, 9, 1, 9, 1, 9, 1, 9])
    detector.current = BATCH_INGESTION
    shapes = [[float(i == j) for j in range(SIGNATURE_POINTS)] for i in range(MAX_BATCH_TEMPLATES)]
    detector.batch_templates = [BatchTemplate(f"t{i}", s, 2.0) for i, s in enumerate(shapes)]
    detector.learn(NOW, True, 2.0)
    assert len(detector.batch_templates) == MAX_BATCH_TEMPLATES  # full: no eleventh
    detector.batch_templates.pop()
    detector.learn(NOW, True, 2.0)
    assert len(detector.batch_templates) == MAX_BATCH_TEMPLATES  # room for one more


def test_template_match_needs_enough_history_and_a_mean():
    template = BatchTemplate("t", [1.0, 1.0, 2.0], 2.0)
    assert PatternDetector().template_match(template) == 0.0            # no history
    assert with_running([1, 2]).template_match(template) == 0.0         # shorter than the signature
    assert with_running([0, 0, 0]).template_match(template) == 0.0      # mean 0
    assert with_running([1, 1, 2]).template_match(template) == pytest.approx(1.0)  # exactly as long
    assert with_running([1, 1, 1]).template_match(BatchTemplate("t", [1.0, 1.0, 1.0], 2.0)) == pytest.approx(1.0)
    assert with_running([4]).template_match(BatchTemplate("t", [2.0], 2.0)) == pytest.approx(1.0)
    assert with_running([2, 2, 4]).template_match(BatchTemplate("t", [], 2.0)) == 0.0


def test_a_template_at_a_cosine_of_exactly_08_is_not_the_same_batch():
    detector = with_running([1] * SIGNATURE_POINTS)
    detector.current = BATCH_INGESTION
    template = BatchTemplate("edge", [1.0, 7.0] * 5, 2.0)
    assert cosine([1.0] * SIGNATURE_POINTS, template.signature) == 0.8  # 40 / (sqrt(10) x sqrt(250))
    detector.batch_templates = [template]
    detector.learn(NOW, True, 2.0)
    assert len(detector.batch_templates) == 2 and template.match_count == 1
