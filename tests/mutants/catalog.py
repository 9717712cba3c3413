"""Deliberately broken reference models: each breaks one promise of BudAIScaler.

The spec is only worth something if it fails when BudAIScaler misbehaves. Each
mutant here patches one piece of the reference model (in the behave process,
where the embedded cluster runs the controller); tests/test_spec_catches_mutants.py
runs the features against it and checks which scenarios catch it. The mutants
live in tests/, never in support/: the shipped model has no fault switches.
"""

from __future__ import annotations

from typing import Callable

from support.localcluster import controller, learning_loop
from support.reference import budscaler, stabilization
from support.reference.learning import accuracy_tracker, patterns, seasonal, system


def _clamp_without_max(ctx, d):
    return max(d, ctx.min_replicas)


def _clamp_without_min(ctx, d):
    return min(d, ctx.max_replicas)


def ignore_max_replicas() -> None:
    budscaler.clamp = _clamp_without_max


def ignore_min_replicas() -> None:
    budscaler.clamp = _clamp_without_min


def skip_scale_down_window() -> None:
    original_window, original_cooldown = stabilization.RecommendationWindow.stabilize, stabilization.cooldown

    def window_without_down(self, now, current, desired, up_window, down_window):
        return original_window(self, now, current, desired, up_window, 0)

    def cooldown_without_down(now, last, current, desired, up_window, down_window):
        return original_cooldown(now, last, current, desired, up_window, 0)

    stabilization.RecommendationWindow.stabilize = window_without_down
    budscaler.cooldown = cooldown_without_down


def never_scale_up() -> None:
    original = budscaler.gate
    budscaler.gate = lambda request, d: min(original(request, d), request.current)


def never_scale_down() -> None:
    original = budscaler.gate
    budscaler.gate = lambda request, d: max(original(request, d), request.current)


def never_write_target() -> None:
    controller.ReferenceController._write_replicas = lambda self, namespace, name, replicas: None


def never_ready() -> None:
    original = controller._set_ready
    controller._set_ready = lambda status, ok, reason, message, now, model: original(
        status, False, "ReconciliationFailed", "mutant: never ready", now, model)


def no_validation() -> None:
    controller.validate = lambda spec: None


def no_pattern_detection() -> None:
    patterns.PatternDetector.detect = lambda self, now, llm: self.current


def no_data_points() -> None:
    seasonal.SeasonalManager.update = lambda self, metric, value, ts: None


def never_persist() -> None:
    system.LearningSystem.should_persist = lambda self, now: False


def forget_on_restart() -> None:
    system.LearningSystem.load_configmap_data = lambda self, data: None


def inverted_direction_accuracy() -> None:
    original = accuracy_tracker.AccuracyTracker.direction_accuracy
    accuracy_tracker.AccuracyTracker.direction_accuracy = lambda self: 1.0 - original(self)


def mape_over_predicted() -> None:
    accuracy_tracker.pct_error = lambda predicted, actual: abs(predicted - actual) / predicted * 100 if predicted else 0.0


def prediction_without_confidence() -> None:
    def trust_any_prediction(request, model, rec):
        prediction = request.prediction
        if prediction is None or prediction.is_schedule_hint or prediction.predicted_replicas <= 0:
            return rec
        return prediction.predicted_replicas
    budscaler._prediction_step = trust_any_prediction


def hints_ignored() -> None:
    learning_loop.active_hint = lambda hints, now: None


def no_prediction_status() -> None:
    learning_loop.write_prediction_status = lambda status, prediction, model: None


MUTANTS: dict[str, Callable[[], None]] = {
    "ignore-max-replicas": ignore_max_replicas,
    "ignore-min-replicas": ignore_min_replicas,
    "skip-scale-down-window": skip_scale_down_window,
    "never-scale-up": never_scale_up,
    "never-scale-down": never_scale_down,
    "never-write-target": never_write_target,
    "never-ready": never_ready,
    "no-validation": no_validation,
    "no-pattern-detection": no_pattern_detection,
    "no-data-points": no_data_points,
    "never-persist": never_persist,
    "forget-on-restart": forget_on_restart,
    "inverted-direction-accuracy": inverted_direction_accuracy,
    "mape-over-predicted": mape_over_predicted,
    "prediction-without-confidence": prediction_without_confidence,
    "hints-ignored": hints_ignored,
    "no-prediction-status": no_prediction_status,
}
