"""What one step of a scenario hands to a later one: a typed field each, never a string-keyed bag.

The scenario facade (support/scenario.py) holds one `ScenarioState` as `world.state`;
slots keep a step from hanging an undeclared value on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from support.recording import PredictionRecorder
from support.traffic import SharedDemand


@dataclass(slots=True)
class ScenarioState:
    held_replicas: int | None = None            # "the desired replicas hold" -> "then fall"
    saved_data_points: int | None = None        # "learning data is saved" -> "continue from where they were saved"
    recorder: PredictionRecorder | None = None  # "predictions are being recorded" -> what was predicted
    demand: SharedDemand | None = None          # the traffic shared by the pods, once a step set it
    load_log: list[tuple[float, float]] = field(default_factory=list)      # (cluster time, GPU cache %) as set
    replicas_log: list[tuple[float, int]] = field(default_factory=list)    # (GPU cache % set, desired replicas then)
