"""Feeds a scenario's Timeline from its facade: the scaler, its Deployment, the loads set on the pods.

`sample` is a waiting duty, so it looks whenever the scenario waits, at the
poll interval, on the cluster's clock; `load_set` listens to the mock driver.
Reads that fail (the scaler not applied yet, a Deployment not created) are
simply not observations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from support.report.timeline import Timeline


@dataclass
class ScenarioRecorder:
    world: Any  # support.scenario.Scenario
    timeline: Timeline = field(init=False)

    def __post_init__(self) -> None:
        self.timeline = Timeline(start=self._now())
        self.world.mocks.listeners.append(self._load_set)
        self.world.duties.append(self.sample)

    def sample(self) -> None:
        world = self.world
        if world.scaler is None:
            return
        now = self._now()
        try:
            scaler = world.cluster.scaler(world.namespace, world.scaler)
        except Exception:  # noqa: BLE001 (not there yet, or the API hiccuped: no observation)
            return
        self.timeline.observe_scaler(scaler, now)
        target = ((scaler.get("spec") or {}).get("scaleTargetRef") or {}).get("name")
        if target:
            try:
                self.timeline.observe_deployment(world.cluster.deployment(world.namespace, target), now)
            except Exception:  # noqa: BLE001
                pass

    def finish(self) -> Timeline:
        self.sample()
        self.timeline.finish(self._now())
        return self.timeline

    def prediction(self) -> dict | None:
        """What a PredictionRecorder in the scenario paired up: predictions against what then ran."""
        recorder = self.world.notes.get("recorder")
        if recorder is None:
            return None
        start = self.timeline.start
        return {"look_ahead": recorder.look_ahead,
                "samples": [[round(s.time - start, 3), s.predicted, s.actual] for s in recorder.aligned()]}

    def _load_set(self, workload, path: str, params: dict) -> None:
        self.sample()  # a spec change made just before (no wait since) is seen as coming first
        self.timeline.load_set(path, params, self._now())

    def _now(self) -> float:
        return self.world.target.clock.now()
