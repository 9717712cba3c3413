"""Feeds a scenario's Timeline from its facade: the scaler, its Deployment, the loads set on the pods.

`sample` is a waiting duty run on every change the scenario's namespace feed
sees (its watches), reading the feed's caches: no polling of its own. Without
a feed it reads through the API at the wait's poll interval. `_load_set` listens to the mock driver:
after each load the scenario sets, it reads the scaler's metric from the pods
as the scaler does (its port, path and metric name, averaged over the pods), so
the chart shows the metric in the scaler's own unit next to its target. Reads
that fail (the scaler not applied yet, a pod not serving) are not observations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from support.mockctl import Workload
from support.waiting import ON_CHANGES
from support.reference.metrics import parse_metric
from support.report.timeline import Timeline


@dataclass
class ScenarioRecorder:
    world: Any  # support.scenario.Scenario
    timeline: Timeline = field(init=False)

    def __post_init__(self) -> None:
        self.timeline = Timeline(start=self._now())
        self.world.mocks.listeners.append(self._load_set)
        self.world.add_duty(self.sample, on=ON_CHANGES)

    def sample(self) -> None:
        """Waiting duty: observe the scaler and its Deployment (never raises: a report must not fail a wait)."""
        world = self.world
        if world.scaler is None:
            return
        now = self._now()
        try:
            scaler = self._read("BudAIScaler", world.scaler)
            if scaler is None:
                return
            self.timeline.observe_scaler(scaler, now)
            target = ((scaler.get("spec") or {}).get("scaleTargetRef") or {}).get("name")
            deployment = self._read("Deployment", target) if target else None
            if deployment is not None:
                self.timeline.observe_deployment(deployment, now)
        except Exception:  # noqa: BLE001 (the API hiccuped: no observation)
            return

    def _read(self, kind: str, name: str) -> dict | None:
        """From the feed's cache (settled first on the virtual clock), else through the API."""
        world, feed = self.world, self.world.feed
        if feed is not None and feed.covers(kind):
            if world.target.clock.is_virtual:
                world.target.clock.settle()
            return feed.get(kind, name)
        read = world.cluster.scaler if kind == "BudAIScaler" else world.cluster.deployment
        try:
            return read(world.namespace, name)
        except LookupError:
            return None

    def finish(self) -> Timeline:
        self.sample()
        self.timeline.finish(self._now())
        return self.timeline

    def prediction(self) -> dict | None:
        """What a PredictionRecorder in the scenario paired up: predictions against what then ran."""
        recorder = self.world.state.recorder
        if recorder is None:
            return None
        start = self.timeline.start
        return {"look_ahead": recorder.look_ahead,
                "samples": [[round(s.time - start, 3), s.predicted, s.actual] for s in recorder.aligned()]}

    def _load_set(self, workload: Workload, path: str, params: dict) -> None:
        try:
            self.sample()  # a spec change made just before (no wait since) is seen as coming first
            self.timeline.load_set(path, params, self._now(), read=self._read_metric(workload))
        except Exception:  # noqa: BLE001 (the report must never break the scenario it reports)
            pass

    def _read_metric(self, workload: Workload) -> dict[str, float]:
        """The scaler's first pod metric, averaged over the workload's running pods (as BudScaler does)."""
        shape = self.timeline.shape
        source = (self.timeline.scaler_spec.get("metricsSources") or [{}])[0]
        if shape is None or source.get("metricSourceType", "pod") != "pod" or not shape.metric:
            return {}
        endpoint = Workload(workload.namespace, workload.deployment, int(source.get("port") or 8000))
        try:
            bodies = [r.text for r in self.world.mocks.query(endpoint, source.get("path") or "/metrics")
                      if r.status_code == 200]
            values = [parse_metric(body, shape.metric) for body in bodies]
        except Exception:  # noqa: BLE001 (a pod that cannot be read gives no reading)
            return {}
        return {shape.metric: round(sum(values) / len(values), 4)} if values else {}

    def _now(self) -> float:
        return self.world.target.clock.now()
