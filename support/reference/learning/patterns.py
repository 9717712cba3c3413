"""LLM workload pattern detection and the templates it learns (§5.5).

Patterns, in detection order: kv_cache_pressure, batch_ingestion, cold_start,
traffic_spike, traffic_drain, else steady_state. The detector keeps the last 180
points of every metric plus four synthetic LLM series. Confidence and start
time change only when the pattern changes (steady_state always resets to 0.5).
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping

STEADY_STATE = "steady_state"
KV_CACHE_PRESSURE = "kv_cache_pressure"
BATCH_INGESTION = "batch_ingestion"
COLD_START = "cold_start"
TRAFFIC_SPIKE = "traffic_spike"
TRAFFIC_DRAIN = "traffic_drain"

HISTORY_POINTS = 180
KV_PRESSURE_THRESHOLD = 0.80
KV_MIN_WAITING = 5
BATCH_SPIKE_THRESHOLD = 2.0
MAX_BATCH_TEMPLATES = 10
SIGNATURE_POINTS = 10

CACHE, WAITING, RUNNING, THROUGHPUT = (
    "gpu_cache_usage", "requests_waiting", "requests_running", "token_throughput")


@dataclass(frozen=True)
class LLMMetrics:
    """The LLM signals learning is fed; cache usage is a 0..1 fraction."""

    gpu_cache_usage: float = 0.0
    requests_waiting: float = 0.0
    requests_running: float = 0.0
    token_throughput: float = 0.0
    gpu_memory_utilization: float = 0.0
    gpu_compute_utilization: float = 0.0


@dataclass(frozen=True)
class Adjustment:
    factor: float
    confidence: float
    reason: str


@dataclass
class KVTemplate:
    threshold: float = KV_PRESSURE_THRESHOLD
    min_waiting: float = KV_MIN_WAITING
    action: float = 1.0
    response_delay_ns: int = 0
    successes: int = 1
    total: int = 1

    def success_rate(self) -> float:
        return self.successes / self.total if self.total else 0.0

    def to_json(self) -> dict:
        # float64 fields stay floats on the way out, so a saved template reloads as the same JSON
        return {"cacheUsageThreshold": float(self.threshold), "requestsWaitingMin": float(self.min_waiting),
                "optimalScaleAction": float(self.action), "responseDelay": self.response_delay_ns,
                "successfulPredictions": self.successes, "totalPredictions": self.total}

    @classmethod
    def from_json(cls, d: dict) -> "KVTemplate":
        return cls(float(d["cacheUsageThreshold"]), float(d["requestsWaitingMin"]),
                   float(d["optimalScaleAction"]), int(d.get("responseDelay", 0)),
                   int(d["successfulPredictions"]), int(d["totalPredictions"]))


@dataclass
class BatchTemplate:
    name: str
    signature: list[float]
    multiplier: float
    confidence: float = 0.5
    match_count: int = 1
    typical_duration_ns: int = 0

    def to_json(self) -> dict:
        return {"name": self.name, "signature": [float(v) for v in self.signature],
                "typicalDuration": self.typical_duration_ns,
                "optimalScaleMultiplier": float(self.multiplier),
                "confidence": float(self.confidence), "matchCount": self.match_count}

    @classmethod
    def from_json(cls, d: dict) -> "BatchTemplate":
        return cls(str(d["name"]), [float(v) for v in d["signature"]],
                   float(d["optimalScaleMultiplier"]), float(d["confidence"]),
                   int(d["matchCount"]), int(d.get("typicalDuration", 0)))


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine similarity of equal-length vectors; 0 for a zero norm."""
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b)) / norm if norm else 0.0


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@dataclass
class PatternDetector:
    current: str = STEADY_STATE
    confidence: float = 0.0
    started: float | None = None
    kv_threshold: float = KV_PRESSURE_THRESHOLD
    batch_threshold: float = BATCH_SPIKE_THRESHOLD
    kv_templates: dict[float, KVTemplate] = field(default_factory=dict)
    batch_templates: list[BatchTemplate] = field(default_factory=list)
    histories: dict[str, deque] = field(default_factory=dict)

    def add_data_point(self, ts: float, metrics: Mapping[str, float], llm: LLMMetrics) -> None:
        """Append every metric and the synthetic LLM series at ``ts``."""
        points = dict(metrics)
        points.update({CACHE: llm.gpu_cache_usage, WAITING: llm.requests_waiting,
                       RUNNING: llm.requests_running, THROUGHPUT: llm.token_throughput})
        for name, value in points.items():
            self.histories.setdefault(name, deque(maxlen=HISTORY_POINTS)).append((ts, value))

    def values(self, metric: str) -> list[float]:
        return [v for _, v in self.histories.get(metric, ())]

    def trend(self, metric: str) -> float:
        """Relative change between the halves of the last ≤ 12 points, in [−1, 1]."""
        values = self.values(metric)
        if len(values) < 6:
            return 0.0
        values = values[-12:]
        half = len(values) // 2
        first, second = _mean(values[:half]), _mean(values[half:])
        if first == 0:
            return 1.0 if second > 0 else 0.0
        return max(-1.0, min(1.0, (second - first) / first))

    def detect(self, now: float, llm: LLMMetrics) -> str:
        """Classify the workload now; returns the (possibly unchanged) pattern."""
        pattern, entry_confidence = self._classify(now, llm)
        if pattern == STEADY_STATE:
            if self.current != STEADY_STATE:
                self.started = now
            self.current, self.confidence = STEADY_STATE, 0.5
        elif pattern != self.current:
            self.current, self.confidence, self.started = pattern, entry_confidence, now
        return self.current

    def _classify(self, now: float, llm: LLMMetrics) -> tuple[str, float]:
        cache, running = llm.gpu_cache_usage, llm.requests_running
        if self._kv_pressure(cache, llm.requests_waiting):
            return KV_CACHE_PRESSURE, 0.85
        if self._batch_ingestion(now):
            return BATCH_INGESTION, 0.75
        trend = self.trend(RUNNING)
        if cache <= 0.2 and running <= 10 and trend > 0.3:
            return COLD_START, 0.7
        if trend > 0.5:
            return TRAFFIC_SPIKE, 0.6 + 0.3 * trend
        if trend < -0.5:
            return TRAFFIC_DRAIN, 0.6 + 0.3 * abs(trend)
        return STEADY_STATE, 0.5

    def _kv_pressure(self, cache: float, waiting: float) -> bool:
        if cache > self.kv_threshold and waiting > KV_MIN_WAITING:
            return True
        last = self.values(CACHE)[-6:]
        if len(last) < 6:
            return False
        rise = _mean(last[3:]) - _mean(last[:3])
        return rise > 0.15 and _mean(last[3:]) > 0.7

    def _batch_ingestion(self, now: float) -> bool:
        history = list(self.histories.get(RUNNING, ()))
        if len(history) < SIGNATURE_POINTS:
            return False
        baseline = _mean([v for ts, v in history if now - 600 < ts < now - 300])
        if baseline == 0:
            return False
        current, mid = history[-1][1], history[-SIGNATURE_POINTS:][5][1]
        if (current > self.batch_threshold * baseline and mid > 1.5 * baseline
                and current > 1.2 * mid):
            return True
        return any(self.template_match(t) > 0.7 for t in self.batch_templates)

    def template_match(self, template: BatchTemplate) -> float:
        """Cosine of the recent requests_running shape against a template's signature.

        The last len(signature) values are divided by the mean of the whole
        recent history (not of the window), as the controller does.
        """
        recent = self.values(RUNNING)
        size = len(template.signature)
        mean = _mean(recent)
        if size == 0 or len(recent) < size or mean == 0:
            return 0.0
        return cosine([v / mean for v in recent[-size:]], template.signature)

    def learn(self, now: float, successful: bool, multiplier: float) -> None:
        """Learn from a verified outcome while in the current pattern."""
        if self.current == KV_CACHE_PRESSURE:
            self._learn_kv(successful, multiplier)
        elif self.current == BATCH_INGESTION:
            self._learn_batch(now, successful, multiplier)

    def _learn_kv(self, successful: bool, multiplier: float) -> None:
        template = self.kv_templates.get(self.kv_threshold)
        if template is None:  # a new template counts as a success either way
            self.kv_templates[self.kv_threshold] = KVTemplate(action=multiplier)
            return
        template.total += 1
        if successful:
            template.successes += 1
            template.action = 0.2 * multiplier + 0.8 * template.action

    def _learn_batch(self, now: float, successful: bool, multiplier: float) -> None:
        values = self.values(RUNNING)
        if len(values) < SIGNATURE_POINTS:
            return
        last = values[-SIGNATURE_POINTS:]
        mean = _mean(last) or 1.0
        signature = [v / mean for v in last]
        for template in self.batch_templates:
            if cosine(signature, template.signature) > 0.8:
                template.match_count += 1
                if successful:
                    template.confidence = 0.1 + 0.9 * template.confidence
                    template.multiplier = 0.2 * multiplier + 0.8 * template.multiplier
                else:
                    template.confidence *= 0.9
                return
        if len(self.batch_templates) < MAX_BATCH_TEMPLATES:
            stamp = datetime.fromtimestamp(now, timezone.utc).strftime("%Y%m%d_%H%M%S")
            self.batch_templates.append(
                BatchTemplate(f"batch_pattern_{stamp}", signature, multiplier))

    def adjustment(self) -> Adjustment | None:
        """The scaling adjustment for the current pattern (unwired in the controller)."""
        conf = self.confidence
        if self.current == KV_CACHE_PRESSURE:
            for t in self.kv_templates.values():
                if t.success_rate() > 0.6:
                    return Adjustment(t.action, t.success_rate() * conf, "KV cache pressure "
                                      "detected - scaling up to relieve memory pressure")
            return Adjustment(1.5, conf * 0.7, "KV cache pressure detected - default scale up")
        if self.current == BATCH_INGESTION:
            for t in self.batch_templates:
                if t.confidence > 0.6:
                    return Adjustment(t.multiplier, conf * t.confidence,
                                      "Batch ingestion pattern detected")
            return Adjustment(2.0, conf * 0.6, "Batch ingestion detected - scaling for burst")
        return _SIMPLE_ADJUSTMENTS.get(self.current, lambda c: None)(conf)

    def to_json(self) -> dict:
        return {
            "batchPatterns": [t.to_json() for t in self.batch_templates] or None,
            "kvCachePatterns": [t.to_json() for t in self.kv_templates.values()] or None,
            "currentPattern": self.current,
            "patternConfidence": self.confidence,
            "kvCachePressureThreshold": self.kv_threshold,
            "batchSpikeThreshold": self.batch_threshold,
        }

    @classmethod
    def from_json(cls, d: dict) -> "PatternDetector":
        kv = [KVTemplate.from_json(t) for t in d.get("kvCachePatterns") or []]
        return cls(
            current=str(d.get("currentPattern") or STEADY_STATE),
            confidence=float(d.get("patternConfidence", 0.0)),
            kv_threshold=float(d.get("kvCachePressureThreshold", KV_PRESSURE_THRESHOLD)),
            batch_threshold=float(d.get("batchSpikeThreshold", BATCH_SPIKE_THRESHOLD)),
            kv_templates={t.threshold: t for t in kv},
            batch_templates=[BatchTemplate.from_json(t) for t in d.get("batchPatterns") or []],
        )


_SIMPLE_ADJUSTMENTS = {
    COLD_START: lambda c: Adjustment(1.2, c * 0.5, "Cold start detected - preemptive scale up"),
    TRAFFIC_SPIKE: lambda c: Adjustment(1.5, c, "Traffic spike detected"),
    TRAFFIC_DRAIN: lambda c: Adjustment(
        0.8, c, "Traffic drain detected - preparing for scale down"),
}
