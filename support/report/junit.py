"""JUnit XML of a run: one testsuite per feature, classname = the feature, name = the scenario.

Outline rows are named by their example values; a failure's text is the failing
step's message (for a wait: expected, last seen, last error). Known gaps keep
their real result and say so in a property, so CI can tell them apart.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from support.report.record import is_failed


def junit_tree(scenarios: list[dict]) -> ET.ElementTree:
    root = ET.Element("testsuites")
    for feature, members in _by_feature(scenarios).items():
        suite = ET.SubElement(root, "testsuite", name=feature, tests=str(len(members)),
                              failures=str(sum(1 for s in members if s["status"] == "failed")),
                              errors=str(sum(1 for s in members if is_failed(s) and s["status"] != "failed")),
                              skipped=str(sum(1 for s in members if s["status"] == "skipped")),
                              time=f"{sum(s['duration'] for s in members):.3f}")
        for scenario in members:
            _testcase(suite, feature, scenario)
    root.set("tests", str(len(scenarios)))
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(path: Path, scenarios: list[dict]) -> Path:
    junit_tree(scenarios).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _by_feature(scenarios: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for scenario in scenarios:
        grouped.setdefault(scenario["feature"], []).append(scenario)
    return grouped


def _testcase(suite: ET.Element, feature: str, scenario: dict) -> None:
    case = ET.SubElement(suite, "testcase", classname=feature, name=scenario["name"],
                         time=f"{scenario['duration']:.3f}", file=scenario["location"].rsplit(":", 1)[0],
                         line=scenario["location"].rsplit(":", 1)[1])
    if scenario["known_gap"] or scenario["tags"]:
        properties = ET.SubElement(case, "properties")
        for tag in scenario["tags"]:
            ET.SubElement(properties, "property", name="tag", value=tag)
        if scenario["known_gap"]:
            ET.SubElement(properties, "property", name="known-gap", value=", ".join(scenario["quirks"]))
    failure = scenario.get("failure")
    if scenario["status"] == "skipped":
        ET.SubElement(case, "skipped", message=scenario.get("skip_reason") or "skipped")
    elif failure is not None:
        kind = "failure" if scenario["status"] == "failed" else "error"
        first_line = failure["message"].splitlines()[0] if failure["message"] else failure["step"]
        element = ET.SubElement(case, kind, message=first_line, type="WaitTimeout" if failure["wait"] else kind)
        element.text = f"{failure['step']}\n{failure['message']}"
    if scenario.get("reactions"):
        ET.SubElement(case, "system-out").text = "\n".join(_reaction_line(r) for r in scenario["reactions"])


def _reaction_line(reaction: dict) -> str:
    return (f"scale-{reaction['direction']} {reaction['from_replicas']}->{reaction['to_replicas']}: decision "
            f"{_seconds(reaction['to_decision'])}, running {_seconds(reaction['to_running'])} "
            f"after {reaction['cause'] or 'no change'}")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:g} s"
