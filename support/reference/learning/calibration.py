"""Calibration: adapt the seasonal EWMA alpha and restart the record of badly predicted hours (§5.5).

Checked after each round of verifications. Due at most every 5 minutes, when a
large error was seen or the overall accuracy misses its targets; skipped (and
retried later) while fewer than 20 predictions were verified.

Contract: calibration restarts the accuracy record of the worst-predicted hours
and keeps what the seasonal profiles learned about them. Those hours are the ones
whose traffic changed, and their seasonal buckets hold exactly that change; the
faster alpha is how the profiles catch up. As built the code also resets those
seasonal buckets (quirk ``calibration-wipes-learned-hours``), so an hour that is
over when calibration runs stays empty until the same hour next week.
"""
from __future__ import annotations

from support.reference.learning.accuracy_tracker import AccuracyTracker
from support.reference.learning.seasonal import SeasonalManager
from support.reference.model import Model

INTERVAL_SECONDS = 300.0
MIN_PREDICTIONS = 20
TARGET_MAX_MAPE = 20.0
GOOD_MAPE = 10.0
MIN_DIRECTION_ACCURACY = 0.85
ALPHA_MIN, ALPHA_MAX = 0.05, 0.5
RESET_MAPE, RESET_MIN_COUNT = 40.0, 10
WORST_SLOTS = 5


def calibration_due(tracker: AccuracyTracker, now: float) -> bool:
    last = tracker.last_calibration
    if last is not None and now - last < INTERVAL_SECONDS:
        return False
    if tracker.calibration_needed:
        return True
    return tracker.total_predictions >= MIN_PREDICTIONS and (
        tracker.mape() > TARGET_MAX_MAPE
        or tracker.direction_accuracy() < MIN_DIRECTION_ACCURACY)


def next_alpha(alpha: float, mape: float) -> float:
    """Faster learning when the error is high, slower when it is low."""
    if mape > TARGET_MAX_MAPE:
        return min(ALPHA_MAX, alpha * 1.1)
    if mape < GOOD_MAPE:
        return max(ALPHA_MIN, alpha * 0.95)
    return alpha


def calibrate(tracker: AccuracyTracker, seasonal: SeasonalManager, now: float, model: Model) -> bool:
    """Run one calibration; False (nothing changed) with too few predictions."""
    if tracker.total_predictions < MIN_PREDICTIONS:
        return False
    seasonal.set_alpha(next_alpha(seasonal.current_alpha(), tracker.mape()))
    for index in tracker.worst_buckets(WORST_SLOTS):
        mape = tracker.hourly_mape[index]
        if mape.value > RESET_MAPE and mape.count > RESET_MIN_COUNT:
            if model.has("calibration-wipes-learned-hours"):
                seasonal.reset_bucket(index)
            tracker.reset_bucket(index)
    tracker.calibration_needed = False
    tracker.last_calibration = now
    return True


def performance_score(mape: float, direction_accuracy: float) -> float:
    """The controller's (unwired) performance score, 0..100."""
    return (100 * max(0.0, 1 - mape / 100) + 100 * direction_accuracy) / 2
