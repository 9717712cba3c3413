"""One run's report folder: `reports/<run-id>/` with run.json, junit.xml and report.html.

run.json is rewritten after every scenario (a run that is killed still leaves
what it did); junit.xml and report.html are written at the end, from run.json
alone, so runs of parallel workers merge by merging their run.json.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from support.report.junit import write_junit
from support.report.redact import Redactor

RUN_FILE, JUNIT_FILE, HTML_FILE = "run.json", "junit.xml", "report.html"


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


@dataclass
class Run:
    folder: Path
    run_id: str
    banner: str = ""
    gaps_apart: bool = False  # known gaps are expected to fail (as-built model, or a real controller)
    started: str = field(default_factory=lambda: _stamp())
    finished: str | None = None
    scenarios: list[dict] = field(default_factory=list)
    redactor: Redactor = field(default_factory=Redactor, repr=False)
    _encoded: dict[int, tuple[dict, str]] = field(default_factory=dict, repr=False)  # id -> (scenario, its JSON)

    @classmethod
    def create(cls, base: Path, banner: str = "", redactor: Redactor | None = None,
               folder: Path | None = None, gaps_apart: bool = False) -> "Run":
        """A new run folder under `base` (or exactly `folder`), and `base/latest` pointing at it."""
        run_id = new_run_id() if folder is None else folder.name
        folder = folder or base / run_id
        folder.mkdir(parents=True, exist_ok=True)
        run = cls(folder, run_id, banner=banner, gaps_apart=gaps_apart, redactor=redactor or Redactor())
        if folder.parent == base:
            point_latest(base, run_id)
        run.save()
        return run

    @classmethod
    def load(cls, folder: Path) -> "Run":
        data = json.loads((folder / RUN_FILE).read_text())
        return cls(folder, data["run_id"], banner=data.get("banner", ""), gaps_apart=data.get("gaps_apart", False),
                   started=data["started"], finished=data.get("finished"), scenarios=data["scenarios"])

    def add(self, scenario: dict) -> None:
        self.scenarios.append(self.redactor.data(scenario))
        self.save()

    def to_dict(self) -> dict:
        return {"run_id": self.run_id, "started": self.started, "finished": self.finished,
                "banner": self.redactor.text(self.banner), "gaps_apart": self.gaps_apart,
                "totals": totals(self.scenarios, self.gaps_apart), "scenarios": self.scenarios}

    def save(self) -> None:
        partial = self.folder / (RUN_FILE + ".part")
        partial.write_text(self.to_json())
        os.replace(partial, self.folder / RUN_FILE)

    def to_json(self) -> str:
        """`json.dumps(self.to_dict(), indent=1)`, each scenario encoded once: the file is rewritten after
        every scenario, and encoding all of them each time made a run's report writing quadratic."""
        data = self.to_dict()
        scenarios = data.pop("scenarios")
        head = json.dumps(data, indent=1)
        if not scenarios:
            return head[:-2] + ',\n "scenarios": []\n}'
        items = ",\n  ".join(self._encode(s) for s in scenarios)
        return head[:-2] + ',\n "scenarios": [\n  ' + items + "\n ]\n}"

    def _encode(self, scenario: dict) -> str:
        cached = self._encoded.get(id(scenario))
        if cached is None or cached[0] is not scenario:
            cached = (scenario, json.dumps(scenario, indent=1).replace("\n", "\n  "))
            self._encoded[id(scenario)] = cached
        return cached[1]

    def finish(self, processes: int = 1) -> Path:
        """Write junit.xml and report.html (its charts drawn in `processes` processes); returns the HTML's path."""
        from support.report.html import write_html  # jinja2 and matplotlib only when a report is made

        self.finished = self.finished or _stamp()
        self.save()
        write_junit(self.folder / JUNIT_FILE, self.scenarios)
        return write_html(self.folder / HTML_FILE, self.to_dict(), processes)


def merge(parts: list[Path], into: Path, banner: str = "") -> Run:
    """One run from the run.json of several (parallel workers'), scenarios in feature-file order."""
    loaded = [Run.load(p) for p in parts if (p / RUN_FILE).is_file()]
    run = Run(into, into.name, banner=banner or (loaded[0].banner if loaded else ""),
              gaps_apart=any(r.gaps_apart for r in loaded), started=min((r.started for r in loaded), default=_stamp()))
    run.scenarios = sorted((s for r in loaded for s in r.scenarios), key=_file_order)
    into.mkdir(parents=True, exist_ok=True)
    run.save()
    return run


def totals(scenarios: list[dict], gaps_apart: bool) -> dict:
    """Counts by result; with `gaps_apart`, known gaps are counted on their own (failing is expected)."""
    counted = {"passed": 0, "failed": 0, "skipped": 0, "known_gaps_failed": 0, "known_gaps_passed": 0}
    for scenario in scenarios:
        bucket = "passed" if scenario["status"] == "passed" else \
            "skipped" if scenario["status"] == "skipped" else "failed"
        if gaps_apart and scenario["known_gap"] and bucket != "skipped":
            bucket = f"known_gaps_{bucket}"
        counted[bucket] += 1
    return counted


def _file_order(scenario: dict) -> tuple:
    path, _, line = scenario["location"].rpartition(":")
    return path, int(line) if line.isdigit() else 0, scenario["name"]


def point_latest(base: Path, run_id: str) -> None:
    link = base / "latest"
    try:
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(run_id, target_is_directory=True)
    except OSError:
        pass  # a convenience only (some filesystems have no symlinks)


def _stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
