"""Deliberately broken reference models: each breaks one promise of BudAIScaler.

The spec is only worth something if it fails when BudAIScaler misbehaves. Each
mutant here patches one piece of the reference model (in the behave process,
where the embedded cluster runs the controller); tests/test_spec_catches_mutants.py
runs the features against it and checks which scenarios catch it. The mutants
live in tests/, never in support/: the shipped model has no fault switches.
"""

from __future__ import annotations

from typing import Callable

from support.localcluster import controller
from support.reference import budscaler, stabilization


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


MUTANTS: dict[str, Callable[[], None]] = {
    "ignore-max-replicas": ignore_max_replicas,
    "ignore-min-replicas": ignore_min_replicas,
    "skip-scale-down-window": skip_scale_down_window,
    "never-scale-up": never_scale_up,
    "never-scale-down": never_scale_down,
    "never-write-target": never_write_target,
    "never-ready": never_ready,
}
