"""The run report's side of behave's hooks: environment.py calls these and nothing else of the report.

    before_all      -> RunReporter.start(settings, banner, cluster)
    before_scenario -> reporter.scenario_started(world)
    after_scenario  -> reporter.scenario_ended(scenario, world, diagnostics files)
    after_all       -> reporter.finish()
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.report import latency
from support.report.recorder import ScenarioRecorder
from support.report.record import scenario_record
from support.report.redact import shared
from support.report.run import Run

RUN_FOLDER_ENV = "BUDSPEC_RUN_FOLDER"  # set by the parallel runner: write exactly there, and no HTML
DIAGNOSTIC_LINES = 300


@dataclass
class RunReporter:
    run: Run
    partial: bool = False  # a parallel worker: run.json only, the runner renders the merged report
    _recorders: dict[int, ScenarioRecorder] = field(default_factory=dict)

    @classmethod
    def start(cls, reports: Path, banner: str, gaps_apart: bool) -> "RunReporter":
        exact = os.environ.get(RUN_FOLDER_ENV)
        run = Run.create(reports, banner=banner, redactor=shared(), folder=Path(exact) if exact else None,
                         gaps_apart=gaps_apart)
        return cls(run, partial=bool(exact))

    def scenario_started(self, world: Any) -> None:
        self._recorders[id(world)] = ScenarioRecorder(world)

    def scenario_ended(self, scenario: Any, world: Any | None, diagnostics: list[Path] = ()) -> None:
        record = scenario_record(scenario)
        recorder = self._recorders.pop(id(world), None) if world is not None else None
        if recorder is not None:
            timeline = recorder.finish()
            record["namespace"] = world.namespace
            record["timeline"] = timeline.to_dict()
            record["reactions"] = [r.to_dict() for r in latency.reactions(timeline)]
            record["prediction"] = recorder.prediction()
        record["diagnostics"] = {path.name: _tail(path) for path in diagnostics}
        self.run.add(record)

    def finish(self) -> Path | None:
        """Write JUnit and HTML (not in a parallel worker); the HTML's path."""
        if self.partial:
            self.run.save()
            return None
        return self.run.finish()


def _tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as error:
        return f"could not read {path}: {error}"
    if len(lines) > DIAGNOSTIC_LINES:
        lines = [f"... {len(lines) - DIAGNOSTIC_LINES} earlier lines in {path}"] + lines[-DIAGNOSTIC_LINES:]
    return "\n".join(lines)
