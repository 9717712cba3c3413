"""What a scenario's scaler and Deployment reported over cluster time, and the load it was given.

A `Timeline` is fed observations: the BudAIScaler and the Deployment as read
from the cluster (`observe_scaler`, `observe_deployment`), and every load the
scenario told the inference pods (`load_set`). It keeps a sample only when a
reported figure changes, so a quiet 15 minutes costs nothing. It is plain data:
`to_dict()` is what the run's JSON holds and what the charts and latencies are
computed from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_UP_WINDOW = 0      # seconds; BudAIScaler's defaults when behavior leaves them out
DEFAULT_DOWN_WINDOW = 300


@dataclass(frozen=True)
class Sample:
    """Replicas as reported at `time` (seconds since the scenario began; None = not reported)."""

    time: float
    seq: int = 0                    # order of observation (several can share one instant)
    desired: int | None = None      # status.desiredScale of the BudAIScaler
    actual: int | None = None       # status.actualScale
    predicted: int | None = None    # status.predictionStatus.predictedReplicas
    deployment: int | None = None   # spec.replicas of the scaled Deployment
    ready: int | None = None        # status.readyReplicas of the Deployment


@dataclass(frozen=True)
class Change:
    """Something the scenario changed at `time`: a load on the pods, or the scaler's spec."""

    time: float
    kind: str                      # "load" or "spec"
    label: str
    values: dict = field(default_factory=dict)  # load: numeric values set, e.g. {"gpu_cache": 85.0}
    seq: int = 0
    read: dict = field(default_factory=dict)    # load: the scaler's metric as then read from the pods


@dataclass
class ScalerShape:
    """The parts of the scaler's spec a chart marks: bounds, target, windows, schedule hints."""

    name: str = ""
    min_replicas: int | None = None
    max_replicas: int | None = None
    metric: str = ""
    target: float | None = None
    up_window: float = DEFAULT_UP_WINDOW
    down_window: float = DEFAULT_DOWN_WINDOW
    hints: list[dict] = field(default_factory=list)  # {name, cronExpression, targetReplicas, duration}

    @classmethod
    def of(cls, scaler: dict) -> "ScalerShape":
        spec = scaler.get("spec") or {}
        sources = spec.get("metricsSources") or [{}]
        behavior = spec.get("behavior") or {}
        return cls(name=(scaler.get("metadata") or {}).get("name", ""),
                   min_replicas=spec.get("minReplicas", 1), max_replicas=spec.get("maxReplicas"),
                   metric=sources[0].get("targetMetric", ""), target=_number(sources[0].get("targetValue")),
                   up_window=_window(behavior.get("scaleUp"), DEFAULT_UP_WINDOW),
                   down_window=_window(behavior.get("scaleDown"), DEFAULT_DOWN_WINDOW),
                   hints=[{k: h.get(k) for k in ("name", "cronExpression", "targetReplicas", "duration")}
                          for h in spec.get("scheduleHints") or []])


@dataclass
class Timeline:
    start: float                      # cluster time (epoch seconds) the scenario began
    samples: list[Sample] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    shape: ScalerShape | None = None
    end: float | None = None
    _scaler: dict = field(default_factory=dict, repr=False)
    _deployment: dict = field(default_factory=dict, repr=False)
    _generation: Any = field(default=None, repr=False)
    _seq: int = field(default=0, repr=False)
    scaler_spec: dict = field(default_factory=dict, repr=False)  # the latest spec seen (not in JSON)

    # -- feeding -----------------------------------------------------------------------
    def observe_scaler(self, scaler: dict, at: float) -> None:
        status = scaler.get("status") or {}
        generation = (scaler.get("metadata") or {}).get("generation")
        if self._generation is not None and generation != self._generation:
            self.changes.append(Change(self._t(at), "spec", "scaler spec changed", seq=self._next()))
        if generation != self._generation:
            self._generation, self.shape = generation, ScalerShape.of(scaler)
            self.scaler_spec = scaler.get("spec") or {}
        self._scaler = {"desired": status.get("desiredScale"), "actual": status.get("actualScale"),
                        "predicted": (status.get("predictionStatus") or {}).get("predictedReplicas")}
        self._sample(at)

    def observe_deployment(self, deployment: dict, at: float) -> None:
        self._deployment = {"deployment": (deployment.get("spec") or {}).get("replicas"),
                            "ready": (deployment.get("status") or {}).get("readyReplicas") or 0}
        self._sample(at)

    def load_set(self, path: str, params: dict, at: float, read: dict | None = None) -> None:
        """The scenario told every inference pod `path?params`; `read`: the scaler's metric then served."""
        values = {k: n for k, v in params.items() if (n := _number(v)) is not None}
        label = ", ".join(f"{k}={v}" for k, v in params.items()) or path
        last = next((c for c in reversed(self.changes) if c.kind == "load"), None)
        if last is None or last.values != values or not values:
            self.changes.append(Change(self._t(at), "load", label, values, seq=self._next(), read=read or {}))

    def finish(self, at: float) -> None:
        self.end = self._t(at)

    # -- reading -----------------------------------------------------------------------
    @property
    def scales(self) -> bool:
        """Did the scenario see a scaler report replicas (is there anything to chart)?"""
        return any(s.desired is not None for s in self.samples)

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "shape": None if self.shape is None else asdict(self.shape),
                "samples": [asdict(s) for s in self.samples], "changes": [asdict(c) for c in self.changes]}

    @classmethod
    def from_dict(cls, data: dict) -> "Timeline":
        shape = data.get("shape")
        return cls(start=data["start"], end=data.get("end"),
                   samples=[Sample(**s) for s in data.get("samples", [])],
                   changes=[Change(**c) for c in data.get("changes", [])],
                   shape=None if shape is None else ScalerShape(**shape))

    def _t(self, at: float) -> float:
        return round(at - self.start, 3)

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _sample(self, at: float) -> None:
        sample = Sample(self._t(at), self._next(), **self._scaler, **self._deployment)
        if self.samples and _same_figures(self.samples[-1], sample):
            return
        if self.samples and self.samples[-1].time == sample.time and self.samples[-1].seq > self._last_change_seq():
            self.samples[-1] = sample  # two reads in one instant with nothing changed between: keep the later
        else:
            self.samples.append(sample)

    def _last_change_seq(self) -> int:
        return self.changes[-1].seq if self.changes else 0


def _same_figures(a: Sample, b: Sample) -> bool:
    return (a.desired, a.actual, a.predicted, a.deployment, a.ready) == \
        (b.desired, b.actual, b.predicted, b.deployment, b.ready)


def _number(value: Any) -> float | None:
    try:
        return float(str(value).rstrip("%"))
    except (TypeError, ValueError):
        return None


def _window(rules: dict | None, default: float) -> float:
    window = (rules or {}).get("stabilizationWindowSeconds")
    return default if window is None else float(window)
