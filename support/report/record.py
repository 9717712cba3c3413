"""A scenario as the run report keeps it: plain, JSON-ready data built from behave's model.

One record per scenario run (an outline row is a scenario of its own, named by
its example values). The failure text is the failing step's own message: for a
wait, the wait's message with what was expected, last seen and the last error.
"""

from __future__ import annotations

import re
from typing import Any

from support.waiting import WaitTimeout

FAILED = ("failed", "error", "hook_error", "cleanup_error")
QUIRK_TAG = re.compile(r"quirk\.(.+)")


def scenario_record(scenario: Any) -> dict:
    """The record of a finished behave scenario (its steps, result, tags and failure)."""
    tags = list(scenario.effective_tags)
    outline_values = _example_values(scenario)
    steps = [_step(step) for step in scenario.all_steps]
    status = _status(scenario)
    record = {
        "feature": scenario.feature.name,
        "feature_file": scenario.feature.filename,
        "name": display_name(scenario.name, outline_values),
        "template": _base_name(scenario.name) if outline_values else None,
        "examples": outline_values,
        "location": f"{scenario.filename}:{scenario.line}",
        "key": f"{scenario.filename}::{scenario.name.strip()}",  # support.parallel.timing_key
        "tags": [t for t in tags if t != "known-gap" and not QUIRK_TAG.fullmatch(t)],
        "known_gap": "known-gap" in tags,
        "quirks": [m.group(1) for t in tags if (m := QUIRK_TAG.fullmatch(t))],
        "status": status,
        "skip_reason": getattr(scenario, "skip_reason", None) if status == "skipped" else None,
        "duration": round(scenario.duration or 0.0, 3),
        "steps": steps,
        "failure": _failure(steps) or _hook_failure(scenario, status),
    }
    return record


def display_name(name: str, values: dict[str, str] | None) -> str:
    """'Bounds under <load> load -- @1.2 Examples' + its row -> 'Bounds under extreme load [load=extreme, ...]'."""
    base = _base_name(name)
    if not values:
        return base
    return f"{base} [{', '.join(f'{k}={v}' for k, v in values.items())}]"


def _base_name(name: str) -> str:
    return name.split(" -- @", 1)[0]


def _example_values(scenario: Any) -> dict[str, str] | None:
    row = getattr(scenario, "_row", None)
    if row is None:
        return None
    return dict(zip(row.headings, row.cells))


def _status(scenario: Any) -> str:
    name = scenario.status.name
    if name == "untested":
        return "skipped"
    return name


def _step(step: Any) -> dict:
    status = step.status.name
    record = {"keyword": step.keyword, "name": step.name, "status": status,
              "duration": round(step.duration or 0.0, 3), "location": f"{step.filename}:{step.line}"}
    if step.table is not None:
        record["table"] = [list(step.table.headings)] + [list(row.cells) for row in step.table.rows]
    if step.text:
        record["text"] = step.text
    if status in FAILED or status == "undefined":
        record["error"] = _error_text(step)
        record["wait"] = isinstance(getattr(step, "exception", None), WaitTimeout)
    return record


def _error_text(step: Any) -> str:
    exception = getattr(step, "exception", None)
    if isinstance(exception, AssertionError) and str(exception):
        return str(exception)
    if step.status.name == "undefined":
        return f"undefined step: {step.keyword} {step.name}"
    return (getattr(step, "error_message", None) or repr(exception)).strip()


def _failure(steps: list[dict]) -> dict | None:
    failed = next((s for s in steps if "error" in s), None)
    if failed is None:
        return None
    return {"step": f"{failed['keyword']} {failed['name']}", "message": failed["error"], "wait": failed["wait"]}


def _hook_failure(scenario: Any, status: str) -> dict | None:
    """A scenario that failed outside its steps (a hook, a cleanup): what behave kept of the error."""
    if status not in FAILED:
        return None
    exception = getattr(scenario, "exception", None)
    message = f"{type(exception).__name__}: {exception}" if exception is not None else \
        "failed outside its steps (a hook or a cleanup); the run's output has the traceback"
    return {"step": f"({status.replace('_', ' ')})", "message": message, "wait": False}


def is_failed(record: dict) -> bool:
    return record["status"] in FAILED
