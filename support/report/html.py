"""The run's HTML report: one self-contained file rendered from run.json with a Jinja2 template.

Charts are inline SVG (support.report.charts); styles are in the template; the
page loads nothing from anywhere. Jinja2 escapes every value, so log lines and
YAML show as text. Drawing the charts is most of the rendering: `processes` > 1
draws them in that many processes (the parallel runner's merged report, which
otherwise drew them alone after its workers had finished).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from support.report import charts
from support.report.latency import Reaction, summary
from support.report.record import is_failed
from support.report.timeline import Timeline

DIAGNOSTICS_SHOWN = (  # (file, heading, open at first)
    ("controller.log", "Controller log excerpt", True),
    ("events.txt", "Events", True),
    ("pods.txt", "Pods", True),
    ("budaiscalers.yaml", "BudAIScaler (YAML)", False),
    ("deployments.yaml", "Deployments (YAML)", False),
)


def render(run: dict, processes: int = 1) -> str:
    environment = Environment(loader=PackageLoader("support.report", "templates"),
                              autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    environment.filters["seconds"] = _seconds
    features: dict[str, list[dict]] = {}
    for scenario, drawn in zip(run["scenarios"], _draw_all(run["scenarios"], processes)):
        features.setdefault(scenario["feature"], []).append(_view(scenario, drawn))
    reactions = [Reaction.from_dict(r) for s in run["scenarios"] for r in s.get("reactions") or []]
    return environment.get_template("report.html.j2").render(
        run=run, features=features, latency=summary(reactions), diagnostics_shown=DIAGNOSTICS_SHOWN)


def write_html(path: Path, run: dict, processes: int = 1) -> Path:
    path.write_text(render(run, processes), encoding="utf-8")
    return path


Drawn = tuple[list[tuple[str, str]], str | None]  # ((title, svg) charts, the error that stopped the drawing)


def _draw_all(scenarios: list[dict], processes: int) -> list[Drawn]:
    numbered = list(enumerate(scenarios))
    processes = min(processes, os.cpu_count() or 1)  # a 16-worker run on 2 cores draws in 2
    if processes <= 1 or len(numbered) < 2 * processes:
        return [_charts_of(item) for item in numbered]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        return list(pool.map(_charts_of, numbered, chunksize=max(1, len(numbered) // (4 * processes))))


def _charts_of(item: tuple[int, dict]) -> Drawn:
    index, scenario = item
    drawn: list[tuple[str, str]] = []
    try:
        _draw(scenario, index, drawn)
    except Exception as error:  # noqa: BLE001 (one bad chart must not cost the whole report)
        return drawn, f"{type(error).__name__}: {error}"
    return drawn, None


def _view(scenario: dict, drawn: Drawn) -> dict:
    """The scenario with its charts and a few facts the template needs."""
    charts_drawn, error = drawn
    view = dict(scenario, failed=is_failed(scenario), charts=charts_drawn)
    if error is not None:
        view["chart_error"] = error
    return view


def _draw(scenario: dict, index: int, drawn: list) -> None:
    timeline = Timeline.from_dict(scenario["timeline"]) if scenario.get("timeline") else None
    if timeline is not None and timeline.scales:
        found = [Reaction.from_dict(r) for r in scenario.get("reactions") or []]
        drawn.append(("Load, replicas and windows over cluster time",
                      charts.scaling_chart(timeline, found, salt=f"s{index}")))
    prediction = scenario.get("prediction")
    if prediction and prediction.get("samples"):
        drawn.append(("Predicted against actual replicas",
                      charts.prediction_chart(prediction["samples"], prediction["look_ahead"], salt=f"p{index}")))


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"
