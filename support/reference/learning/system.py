"""One scaler's learning system: record, verify, report, persist (§5.5, §1.3, §2.4 steps 13-14).

Each reconcile tick the controller records a data point (metric averages, LLM
signals, replica counts) and then verifies the predictions whose look-ahead has
passed against the previous tick's recommendation. ``status`` renders the
scaler's ``learningStatus``. Contract and as-built differ where ``model`` says.
"""
from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from typing import Mapping

from support.reference.learning import storage
from support.reference.learning.accuracy_tracker import AccuracyTracker, direction
from support.reference.learning.calibration import calibrate, calibration_due, performance_score
from support.reference.learning.patterns import Adjustment, LLMMetrics, PatternDetector
from support.reference.learning.seasonal import SeasonalManager
from support.reference.learning.timefmt import rfc3339
from support.reference.model import Model

__all__ = ["LLMMetrics", "LearningSystem", "PendingVerification"]

THROTTLE_SECONDS = 10.0
PERSIST_INTERVAL_SECONDS = 300.0
RING_CAPACITY = 1000
DEFAULT_LOOK_AHEAD_MINUTES = 15
DEFAULT_HISTORICAL_DAYS = 7
PATTERN_LEARNING_CONFIDENCE = 0.5


@dataclass(frozen=True)
class PendingVerification:
    timestamp: float
    verify_at: float
    current: int
    recommended: int
    predicted: int


@dataclass(frozen=True)
class VerifiedPrediction:
    record: PendingVerification
    actual: int
    prediction_error: float | None
    over_provisioned: bool
    under_provisioned: bool


def _verify_one(record: PendingVerification, actual: int) -> VerifiedPrediction:
    predicted = record.predicted
    error = (predicted - actual) / actual if actual > 0 else None
    return VerifiedPrediction(record, actual, error,
                              predicted > actual + 1, predicted < actual - 1)


class LearningSystem:
    """The learning state of one ``<namespace>/<name>`` scaler."""

    def __init__(self, scaler_name: str, namespace: str, *, look_ahead_minutes: int,
                 historical_days: int, enabled: bool, model: Model) -> None:
        self.scaler_name = scaler_name
        self.namespace = namespace
        self.look_ahead_minutes = look_ahead_minutes or DEFAULT_LOOK_AHEAD_MINUTES
        self.historical_days = (historical_days if 1 <= (historical_days or 0) <= 90
                                else DEFAULT_HISTORICAL_DAYS)
        self.enabled = enabled
        self.model = model
        self._fresh_state()

    def _fresh_state(self) -> None:
        self.seasonal = SeasonalManager()
        self.detector = PatternDetector()
        self.tracker = AccuracyTracker()
        self.pending: deque[PendingVerification] = deque(maxlen=RING_CAPACITY)
        self.completed: deque[VerifiedPrediction] = deque(maxlen=RING_CAPACITY)
        self.last_record: float | None = None
        self.last_persist: float | None = None
        self.saved_size: int | None = None
        self.dirty = False
        self.created_at: float | None = None
        self.oldest_data_point: float | None = None

    # --- every tick -------------------------------------------------------

    def record(self, now: float, metrics: Mapping[str, float], llm: LLMMetrics,
               current: int, recommended: int, predicted: int) -> None:
        """Record one tick's data point (throttled to one pending verification per 10 s)."""
        if not self.enabled:
            return
        if self.model.has("llm-metrics-zero"):
            llm = dataclasses.replace(llm, gpu_cache_usage=0.0, requests_waiting=0.0,
                                      requests_running=0.0, token_throughput=0.0)
        if self.created_at is None:
            self.created_at = now
        if self.oldest_data_point is None:
            self.oldest_data_point = now
        if self.last_record is None or now - self.last_record >= THROTTLE_SECONDS:
            self.pending.append(PendingVerification(
                now, now + self.look_ahead_minutes * 60, current, recommended, predicted))
            self.last_record = now
            self.dirty = True
        for name, value in metrics.items():
            self.seasonal.update(name, value, now)
        self.detector.add_data_point(now, metrics, llm)
        if not self.model.has("pattern-detection-unwired"):
            self.detector.detect(now, llm)

    def verify(self, now: float, actual: int) -> int:
        """Verify every matured prediction against ``actual``; returns how many."""
        if not self.enabled:
            return 0
        due = [p for p in self.pending if now >= p.verify_at]
        if not due:
            return 0
        self.pending = deque((p for p in self.pending if now < p.verify_at),
                             maxlen=RING_CAPACITY)
        for record in due:
            self._account(_verify_one(record, actual))
        self.dirty = True
        if calibration_due(self.tracker, now):
            calibrate(self.tracker, self.seasonal, now, self.model)
        return len(due)

    def _account(self, outcome: VerifiedPrediction) -> None:
        record, actual = outcome.record, outcome.actual
        before = record.current
        self.tracker.record(record.timestamp, record.predicted, actual,
                            direction(before, record.predicted), direction(before, actual))
        if self.detector.confidence > PATTERN_LEARNING_CONFIDENCE:
            successful = not (outcome.over_provisioned or outcome.under_provisioned)
            multiplier = actual / before if actual > 0 and before > 0 else 1.0
            self.detector.learn(record.timestamp, successful, multiplier)
        self.completed.append(outcome)

    # --- reporting --------------------------------------------------------

    def status(self, now: float) -> dict:
        """``status.learningStatus`` as the controller writes it (camelCase keys)."""
        direction_pct = self.tracker.direction_accuracy() * 100
        overall_pct = direction_pct
        if not self.model.has("direction-accuracy-is-overall"):
            overall_pct = performance_score(self.tracker.mape(),
                                            self.tracker.direction_accuracy())
        status: dict = {"dataPointsCollected": self.seasonal.data_points()}
        if not self.model.has("learning-status-fields-unset"):
            status.update(self._contract_fields(now))
        status.update({
            "overallAccuracy": f"{overall_pct:.1f}%",
            "directionAccuracy": f"{direction_pct:.1f}%",
            "recentMAPE": f"{self.tracker.mape():.2f}%",
            "recentMAE": f"{self.tracker.mae():.2f}",
            "detectedPattern": self.detector.current,
            "patternConfidence": f"{self.detector.confidence:.2f}",
            "calibrationNeeded": self.tracker.calibration_needed,
            "configMapName": storage.configmap_name(self.scaler_name),
        })
        if self.seasonal.is_complete():  # omitempty: false is left out
            status["seasonalDataComplete"] = True
        return status

    def _contract_fields(self, now: float) -> dict:
        # The size of the data as last saved in the ConfigMap (what it takes there); before the
        # first save, what a save would take. Encoding everything on every tick cost more than the
        # rest of the learning step together.
        size = self.saved_size if self.saved_size is not None else storage.storage_size(self._encode(now))
        fields = {"storageUsed": storage.format_bytes(size)}
        if self.oldest_data_point is not None:
            fields["oldestDataPoint"] = rfc3339(self.oldest_data_point)
        for profile in self.seasonal.profiles.values():
            fields["currentSeasonalFactor"] = f"{profile.seasonal_factor(now)[0]:.2f}"
            break
        if self.tracker.last_calibration is not None:
            fields["lastCalibration"] = rfc3339(self.tracker.last_calibration)
        return fields

    def seasonal_adjustment(self, metric: str, now: float) -> tuple[float, float]:
        """(factor, confidence) for ``metric`` now; (1.0, 0.0) for an unknown metric."""
        profile = self.seasonal.profiles.get(metric)
        return profile.seasonal_factor(now) if profile else (1.0, 0.0)

    def pattern_adjustment(self) -> Adjustment | None:
        return self.detector.adjustment()

    # --- persistence ------------------------------------------------------

    def should_persist(self, now: float) -> bool:
        if self.model.has("learning-never-persisted") or not self.dirty:
            return False
        return self.last_persist is None or now - self.last_persist >= PERSIST_INTERVAL_SECONDS

    def configmap_data(self, now: float) -> dict[str, str]:
        """The ConfigMap data to save now; marks the state persisted."""
        data = self._encode(now)
        self.dirty = False
        self.last_persist = now
        self.saved_size = storage.storage_size(data)
        return data

    def _encode(self, now: float) -> dict[str, str]:
        meta = storage.Metadata(self.scaler_name, self.namespace, last_updated=now,
                                data_point_count=self.seasonal.data_points(),
                                profiles_count=len(self.seasonal.profiles))
        if not self.model.has("learning-status-fields-unset"):
            meta.created_at, meta.oldest_data_point = self.created_at, self.oldest_data_point
        state = storage.LearningState(self.seasonal, self.detector, self.tracker, meta)
        data = storage.encode(state)
        if not self.model.has("learning-status-fields-unset"):
            # The controller sizes the data after serialising it (so it stores 0);
            # the contract stores the size of the other three keys.
            meta.storage_size_bytes = storage.storage_size(
                {k: v for k, v in data.items() if k != storage.METADATA_KEY})
            data[storage.METADATA_KEY] = storage.dumps(meta.to_json())
        return data

    def load_configmap_data(self, data: Mapping[str, str]) -> None:
        """Restore from ConfigMap data; on any error raise ValueError with fresh state."""
        self._fresh_state()
        state = storage.decode(data)
        self.seasonal, self.detector, self.tracker = state.seasonal, state.detector, state.tracker
        if state.metadata is not None:
            self.created_at = state.metadata.created_at
            self.oldest_data_point = state.metadata.oldest_data_point

    @staticmethod
    def configmap_name(scaler_name: str) -> str:
        return storage.configmap_name(scaler_name)

    @staticmethod
    def configmap_labels(scaler_name: str) -> dict[str, str]:
        return storage.configmap_labels(scaler_name)

    @staticmethod
    def configmap_annotations(now: float) -> dict[str, str]:
        return storage.configmap_annotations(now)
