"""The run's HTML report: one self-contained file rendered from run.json with a Jinja2 template.

Charts are inline SVG (support.report.charts); styles are in the template; the
page loads nothing from anywhere. Jinja2 escapes every value, so log lines and
YAML show as text.
"""

from __future__ import annotations

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


def render(run: dict) -> str:
    environment = Environment(loader=PackageLoader("support.report", "templates"),
                              autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    environment.filters["seconds"] = _seconds
    features: dict[str, list[dict]] = {}
    for index, scenario in enumerate(run["scenarios"]):
        features.setdefault(scenario["feature"], []).append(_view(scenario, index))
    reactions = [Reaction.from_dict(r) for s in run["scenarios"] for r in s.get("reactions") or []]
    return environment.get_template("report.html.j2").render(
        run=run, features=features, latency=summary(reactions), diagnostics_shown=DIAGNOSTICS_SHOWN)


def write_html(path: Path, run: dict) -> Path:
    path.write_text(render(run), encoding="utf-8")
    return path


def _view(scenario: dict, index: int) -> dict:
    """The scenario with its charts drawn and a few facts the template needs."""
    view = dict(scenario, failed=is_failed(scenario), charts=[])
    try:
        _draw(scenario, index, view["charts"])
    except Exception as error:  # noqa: BLE001 (one bad chart must not cost the whole report)
        view["chart_error"] = f"{type(error).__name__}: {error}"
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
