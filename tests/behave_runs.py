"""Running chosen scenarios of the spec in a behave subprocess, and reading what happened to each.

Scenarios are keyed by name, and an outline row by its example values (not its
position), so a test names what it means and follows the feature files as they
change. Used by the tests that run the spec under a broken or as-built model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from behave.parser import parse_file

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT = 1800  # a whole-spec run takes ~1 min alone; under a load average of 30 it took over 15


@dataclass(frozen=True)
class SpecScenario:
    feature: str           # the feature file's stem, e.g. "scaling"
    key: str               # the name; an outline row: "<outline name> [heading=value, ...]"
    line: int              # its line in the feature file (an outline row: the row's line)
    tags: frozenset[str]   # effective tags (feature, outline and examples tags included)

    @property
    def location(self) -> str:
        return f"features/{self.feature}.feature:{self.line}"


def spec_scenarios(feature: str) -> list[SpecScenario]:
    """Every scenario of features/<feature>.feature, outline rows one by one, in file order."""
    found = []
    for scenario in parse_file(str(ROOT / f"features/{feature}.feature")).walk_scenarios():
        row = getattr(scenario, "_row", None)
        if row is None:
            key = scenario.name
        else:
            values = ", ".join(f"{k}={v}" for k, v in zip(row.headings, row.cells))
            key = f"{scenario.name.split(' -- @')[0]} [{values}]"
        found.append(SpecScenario(feature, key, scenario.line, frozenset(scenario.effective_tags)))
    return found


def all_features() -> list[str]:
    return sorted(p.stem for p in (ROOT / "features").glob("*.feature"))


def scenario_lines(feature: str) -> dict[str, int]:
    """Scenario key -> line in the feature file."""
    return {s.key: s.line for s in spec_scenarios(feature)}


def _features(report: Path) -> list[dict]:
    """behave's JSON report; none when behave could not start (it leaves the file empty or absent)."""
    text = report.read_text() if report.exists() else ""
    return json.loads(text) if text.strip() else []


@dataclass
class Run:
    exit_code: int
    statuses: dict[str, str]        # scenario key -> passed / failed / error / skipped
    failed_steps: dict[str, str]    # scenario key -> "<keyword> <step>: <status>" of its first bad step
    output: str
    errors: dict[str, str] = field(default_factory=dict)  # scenario key -> its first bad step's error message


def run_behave(chosen: Iterable[SpecScenario], report: Path, *args: str, runner: list[str] | None = None) -> Run:
    """behave on exactly `chosen` (by file:line), with `args` (e.g. -D settings); `runner` replaces `python -m behave`."""
    chosen = list(chosen)
    by_location = {(s.feature, s.line): s.key for s in chosen}
    command = [*(runner or [sys.executable, "-m", "behave"]), *(s.location for s in chosen),
               "-f", "json", "-o", str(report), "--no-junit", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    statuses, failed_steps, errors = {}, {}, {}
    elements = [(f, e) for f in _features(report)
                for e in f.get("elements", [])]
    for feature, element in elements:
        if element.get("type") != "scenario":
            continue
        path, line = element["location"].rsplit(":", 1)
        key = by_location.get((Path(path).stem, int(line)))
        if key is None:
            continue
        statuses[key] = element["status"]
        bad = next((s for s in element["steps"] if s.get("result", {}).get("status") not in (None, "passed")), None)
        if bad is not None:
            failed_steps[key] = f"{bad['keyword']} {bad['name']}: {bad['result']['status']}"
            message = bad["result"].get("error_message") or ""
            errors[key] = "\n".join(message) if isinstance(message, list) else message
    return Run(done.returncode, statuses, failed_steps, done.stdout[-3000:] + done.stderr[-3000:], errors)
