"""Controller reaction latency: from a change to the scaler's decision, and to the Deployment running it.

For every scale-up and scale-down a timeline shows (the scaler's desired
replicas going from a to b; before it reports any, from what the Deployment
runs), the cause is the last change before the decision was seen: a load the
scenario set, a change of the scaler's spec, or a schedule hint becoming active (a load set on the pods, or the scaler's spec); the
decision is when the new desired replicas were first seen; the Deployment runs
it when its replicas and ready replicas both equal b. A decision overtaken by
the next before the Deployment got there is marked `superseded`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from support.report.hints import hint_spans
from support.report.timeline import Change, Sample, Timeline


@dataclass(frozen=True)
class Reaction:
    direction: str                 # "up" or "down"
    from_replicas: int
    to_replicas: int
    decided_at: float              # seconds since the scenario began
    cause: str | None              # what changed before it, or None when nothing did
    cause_at: float | None
    running_at: float | None       # the Deployment ran `to_replicas`, all ready; None if it never did
    superseded: bool = False

    @property
    def to_decision(self) -> float | None:
        return None if self.cause_at is None else round(self.decided_at - self.cause_at, 3)

    @property
    def to_running(self) -> float | None:
        if self.cause_at is None or self.running_at is None:
            return None
        return round(self.running_at - self.cause_at, 3)

    def to_dict(self) -> dict:
        return {**asdict(self), "to_decision": self.to_decision, "to_running": self.to_running}

    @classmethod
    def from_dict(cls, data: dict) -> "Reaction":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def reactions(timeline: Timeline) -> list[Reaction]:
    found = []
    samples = timeline.samples
    hints = _hint_starts(timeline)
    previous: int | None = None  # the desired replicas, or before the scaler said any, what the Deployment ran
    for index, sample in enumerate(samples):
        if sample.desired is None:
            previous = sample.deployment
            continue
        if previous is not None and sample.desired != previous:
            cause = _latest(_cause(timeline.changes, sample.seq),
                            next((h for h in reversed(hints) if h.time < sample.time), None))
            running_at, superseded = _running(samples[index:], sample.desired)
            found.append(Reaction("up" if sample.desired > previous else "down", previous, sample.desired,
                                  sample.time, None if cause is None else _describe(cause),
                                  None if cause is None else cause.time, running_at, superseded))
        previous = sample.desired
    return found


def _cause(changes: list[Change], seen: int) -> Change | None:
    """The last change made before the observation numbered `seen`."""
    return next((c for c in reversed(changes) if c.seq < seen), None)


def _latest(change: Change | None, hint: Change | None) -> Change | None:
    if change is None or (hint is not None and hint.time > change.time):
        return hint
    return change


def _hint_starts(timeline: Timeline) -> list[Change]:
    """A change for each schedule hint becoming active during the scenario (not one active from its start)."""
    if timeline.shape is None or not timeline.shape.hints or not timeline.samples:
        return []
    end = timeline.end if timeline.end is not None else timeline.samples[-1].time
    starts = [Change(start, "hint", f"schedule hint {hint['name']} ({hint['targetReplicas']} replicas)")
              for hint, start, _ in hint_spans(timeline.shape.hints, timeline.start, end) if start > 0]
    return sorted(starts, key=lambda c: c.time)


def _describe(change: Change) -> str:
    return f"load {change.label}" if change.kind == "load" else change.label


def _running(samples: list[Sample], replicas: int) -> tuple[float | None, bool]:
    """When the Deployment first ran `replicas`, all ready; (None, True) if a new decision came first."""
    for sample in samples:
        if sample.desired is not None and sample.desired != replicas:
            return None, True
        if sample.deployment == replicas and sample.ready == replicas:
            return sample.time, False
    return None, False


def summary(found: list[Reaction]) -> dict:
    """Worst and median latencies per direction, for the run's overview."""
    result = {}
    for direction in ("up", "down"):
        decisions = sorted(r.to_decision for r in found if r.direction == direction and r.to_decision is not None)
        running = sorted(r.to_running for r in found if r.direction == direction and r.to_running is not None)
        result[direction] = {"count": sum(1 for r in found if r.direction == direction),
                             "decision_median": _median(decisions), "decision_max": max(decisions, default=None),
                             "running_median": _median(running), "running_max": max(running, default=None)}
    return result


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else round((values[middle - 1] + values[middle]) / 2, 3)
