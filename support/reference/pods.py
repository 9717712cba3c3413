"""Pod counting and the starting-pods gate (catalogue §2.5, §4.2, §5.7).

Functions take pod dicts shaped like Kubernetes JSON, already selected by the
target's label selector in the scaler's namespace. Deleting pods (with
``metadata.deletionTimestamp``) and Succeeded/Failed/Unknown pods are ignored.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .gomath import go_int

Pod = Mapping[str, Any]


def _deleting(pod: Pod) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def _phase(pod: Pod) -> str | None:
    return (pod.get("status") or {}).get("phase")


def is_ready(pod: Pod) -> bool:
    """The pod's ``Ready`` condition is ``True`` (a missing condition is not ready)."""
    conditions = (pod.get("status") or {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def running_pods(pods: Iterable[Pod]) -> list[Pod]:
    """Pods in phase Running that are not being deleted."""
    return [p for p in pods if _phase(p) == "Running" and not _deleting(p)]


def ready_pods(pods: Iterable[Pod]) -> list[Pod]:
    """Running pods whose Ready condition is True: the ones metrics are read from."""
    return [p for p in running_pods(pods) if is_ready(p)]


@dataclass(frozen=True)
class PodCounts:
    ready: int
    running_not_ready: int
    pending: int

    @property
    def starting(self) -> int:
        return self.running_not_ready + self.pending

    @classmethod
    def from_pods(cls, pods: Iterable[Pod]) -> "PodCounts":
        pods = list(pods)
        running = running_pods(pods)
        ready = sum(1 for p in running if is_ready(p))
        pending = sum(1 for p in pods if _phase(p) == "Pending" and not _deleting(p))
        return cls(ready, len(running) - ready, pending)


def should_gate(ready: int, starting: int, max_starting_pods: int,
                max_starting_pod_percent: int) -> bool:
    """True when too many pods are still starting to allow a scale-up."""
    if max_starting_pods > 0 and starting >= max_starting_pods:
        return True
    total = ready + starting
    if max_starting_pod_percent > 0 and total > 0:
        # Go's order: float division, then x100, then truncate (29/100 -> 28).
        percent = go_int(starting / total * 100)
        return percent >= max_starting_pod_percent
    return False
