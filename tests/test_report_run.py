"""The run report as a user meets it: one run of the scaling feature leaves one folder with JUnit,
JSON and an HTML page that a browser renders with a chart per scenario; a failing scenario's page
shows the wait's last observation and the controller's log."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from browser import needs_chromium, rendered_dom, screenshot
from conftest import run_behave

from support.parallel import select

FAILING = "tests/features/deliberately_failing.feature"


def _run(tmp: Path, *args: str, expect_ok: bool) -> Path:
    result = run_behave(*args, artifacts=tmp / "artifacts", timeout=600)
    assert (result.returncode == 0) == expect_ok, result.stdout[-3000:] + result.stderr[-3000:]
    folders = [p for p in (tmp / "reports").iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(folders) == 1, f"one run folder expected, found {folders}"
    assert (tmp / "reports" / "latest").resolve() == folders[0].resolve()
    assert f"report: {folders[0] / 'report.html'}" in result.stdout
    return folders[0]


@pytest.fixture(scope="module")
def scaling_run(tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("scaling"), "features/scaling.feature", expect_ok=True)


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("failing"), FAILING, expect_ok=False)


@pytest.fixture(scope="module")
def scenario_count() -> int:
    """How many scenario runs (outline rows included) the scaling feature has today."""
    return len(select(["features/scaling.feature"]))


def test_one_folder_holds_junit_json_and_one_html_page(scaling_run):
    assert sorted(p.name for p in scaling_run.iterdir()) == ["junit.xml", "report.html", "run.json"]


def test_junit_names_the_feature_as_class_and_outline_rows_by_their_values(scaling_run, scenario_count):
    cases = ET.parse(scaling_run / "junit.xml").getroot().findall(".//testcase")
    assert len(cases) == scenario_count
    assert {c.get("classname") for c in cases} == {"Scaling an LLM inference workload on GPU cache usage"}
    names = [c.get("name") for c in cases]
    assert "The scaler becomes Ready" in names
    rows = [n for n in names if n.startswith("Replicas stay within the bounds under extreme load [")]
    assert rows and all(re.fullmatch(r"[^\[]+ \[load=extreme(, \w+=[^,\]]+)+\]", n) for n in rows), rows
    assert len(set(names)) == scenario_count, "every outline row has a name of its own"
    assert not any(c.find("failure") is not None for c in cases)


def test_json_has_every_scenario_with_its_steps_and_the_reaction_latencies(scaling_run, scenario_count):
    run = json.loads((scaling_run / "run.json").read_text())
    assert run["totals"]["passed"] == scenario_count and len(run["scenarios"]) == scenario_count
    scale_down = next(s for s in run["scenarios"] if s["name"].startswith("Scale-down when the load falls")
                      and (s["examples"] or {}).get("quiet", "20%") == "20%")
    assert [step["name"] for step in scale_down["steps"]][:3] == [  # the Background's steps come first
        "the inference simulator is running", "GPU cache usage is 30% on every inference pod",
        'the scaler configured in "basic-test" is applied']
    assert all(step["status"] == "passed" for step in scale_down["steps"])
    downs = [r for r in scale_down["reactions"] if r["direction"] == "down"]
    assert [(r["from_replicas"], r["to_replicas"]) for r in downs] == [(3, 2), (2, 1)]
    assert all(r["cause"] == "load gpu_cache=20" for r in downs)
    # the 60 s scale-down window: no decision before it has passed since the load fell
    assert downs[0]["to_decision"] >= 60 and downs[0]["to_running"] >= downs[0]["to_decision"]
    ups = [r for s in run["scenarios"] for r in s["reactions"] if r["direction"] == "up"]
    assert ups and all(r["to_decision"] is not None and r["to_decision"] >= 0 for r in ups)
    gap = next(s for s in run["scenarios"] if s["name"].startswith("The scale-down window counts"))
    assert gap["known_gap"] and gap["quirks"] == ["stabilization-as-cooldown"] and "known-gap" not in gap["tags"]


def test_the_page_has_a_chart_for_every_scenario_and_the_latency_table(scaling_run, scenario_count):
    page = (scaling_run / "report.html").read_text()
    articles = page.split('<article class="scenario')[1:]
    assert len(articles) == scenario_count
    for article in articles:
        assert '<figure class="chart">' in article and "<svg" in article, f"no chart in: {article[:300]}"
    assert "Controller reaction latency" in page
    assert "scale-down window 60 s" in page  # the window is marked in the scale-down charts
    assert "<script" not in page and not re.search(r'(src|href)="(?!#|data:)', page), "the page loads nothing"


def test_charts_drawn_in_several_processes_make_the_same_page(scaling_run, monkeypatch):
    from support.report import html

    monkeypatch.setattr(html.os, "cpu_count", lambda: 2)
    run = json.loads((scaling_run / "run.json").read_text())
    alone, shared = html.render(run), html.render(run, processes=2)
    assert html.charts.svg_count(shared) == html.charts.svg_count(alone) > 0
    assert shared == alone, "the charts drawn by two processes differ from those drawn by one"


@needs_chromium
def test_chromium_renders_the_page_with_its_charts(scaling_run, scenario_count, tmp_path):
    dom = rendered_dom(scaling_run / "report.html")
    charts = re.findall(r'<figure class="chart">\s*<figcaption[^>]*>[^<]*</figcaption>\s*<svg', dom)
    assert len(charts) == scenario_count and "desired replicas" in dom
    shot = screenshot(scaling_run / "report.html", tmp_path / "page.png")
    assert shot.stat().st_size > 50_000, "a rendered page with charts is more than a blank image"


def test_a_failing_scenario_page_shows_the_waits_last_observation_and_the_controller_log(failing_run):
    page = (failing_run / "report.html").read_text()
    assert "The wait&#39;s last observation" in page or "The wait's last observation" in page
    assert "Timed out after 120 s waiting for the desired replicas to reach 7" in page
    assert "last seen:  was &lt;5&gt;" in page
    log = page.split('class="diag-controller-log"')[1].split("</details>")[0]
    assert "Scaling up from 4 to 5 replicas" in log
    for heading in ("Events", "Pods", "BudAIScaler (YAML)"):
        assert f"<summary>{heading}</summary>" in page
    failure = ET.parse(failing_run / "junit.xml").getroot().find(".//testcase/failure")
    assert failure.get("message") == "Timed out after 120 s waiting for the desired replicas to reach 7"
    assert "last seen:  was <5>" in failure.text


@needs_chromium
def test_chromium_shows_the_failure_open(failing_run):
    dom = rendered_dom(failing_run / "report.html")
    assert "last seen:  was &lt;5&gt;" in dom
    assert re.search(r'<details open="" class="diag-controller-log">', dom)
