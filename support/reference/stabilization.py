"""Stabilization: the as-built cooldown and the contract's HPA-style window (catalogue §4.2, §7.7).

As built, a "stabilization window" is a cooldown measured from the last
scale in either direction. The contract (Kubernetes HPA semantics) keeps
each tick's recommendation: a scale-up goes no higher than the lowest
recommendation of the last ``up_window`` seconds, a scale-down no lower
than the highest of the last ``down_window`` seconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field


def cooldown(now: float, last_scale_time: float | None, current: int, desired: int,
             up_window: float, down_window: float) -> int:
    """As built: keep ``current`` while the window since the last scale is open."""
    if last_scale_time is None:
        return desired
    elapsed = now - last_scale_time
    if desired > current and elapsed < up_window:
        return current
    if desired < current and elapsed < down_window:
        return current
    return desired


@dataclass
class RecommendationWindow:
    """Recommendations of one scaler, kept by the controller between ticks."""

    entries: list[tuple[float, int]] = field(default_factory=list)

    def record(self, now: float, recommendation: int) -> None:
        self.entries.append((now, recommendation))

    def stabilize(self, now: float, current: int, desired: int,
                  up_window: float, down_window: float) -> int:
        """HPA's rule; ``desired`` counts as this tick's recommendation even if not recorded."""
        self._forget_before(now - max(up_window, down_window, 0))
        up_cut, down_cut = now - up_window, now - down_window
        # An entry counts when strictly newer than the cutoff (HPA: timestamp.After(cutoff)).
        up = min([r for t, r in self.entries if t > up_cut] + [desired])
        down = max([r for t, r in self.entries if t > down_cut] + [desired])
        return min(max(current, up), down)

    def _forget_before(self, cutoff: float) -> None:
        self.entries = [(t, r) for t, r in self.entries if t > cutoff]
