"""Charts for the run report, as inline SVG drawn by matplotlib (Agg, imported only when drawing).

`scaling_chart`: the load the scaler reads from the pods and its target, the
desired, ready and predicted replicas over cluster time, the replica bounds,
the stabilization window each load change opens, and schedule hints while
active. `prediction_chart`: each prediction against what then ran.
"""

from __future__ import annotations

import io
import re
from typing import Iterable

from support.report.hints import hint_spans
from support.report.latency import Reaction
from support.report.timeline import Timeline

WIDTH, HEIGHT = 9.5, 3.6
# figure fractions: room for the tick labels and axis labels (both y axes), and a legend row below
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM, LEGEND_ROW = 0.065, 0.93, 0.97, 0.13, 0.05
# at most this many labelled ticks per axis: matplotlib's default picks ~9 across the width, and
# making and drawing ticks was half of the report's time
X_TICKS, Y_TICKS = 6, 5


def _figure():
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable
    from matplotlib.figure import Figure
    return Figure(figsize=(WIDTH, HEIGHT))


def _few_ticks(axes, x: bool = True, integer: bool = False) -> None:
    from matplotlib.ticker import MaxNLocator
    if x:
        axes.xaxis.set_major_locator(MaxNLocator(nbins=X_TICKS))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=Y_TICKS, integer=integer))


def _svg(figure, salt: str, legend_rows: int = 0) -> str:
    import matplotlib
    matplotlib.rcParams["svg.hashsalt"] = salt  # distinct ids for each chart inlined in one page
    buffer = io.StringIO()
    # Fixed margins, not tight_layout: every chart has the same size and labels, and tight_layout
    # drew each figure twice more to measure it (three quarters of the report's time).
    figure.subplots_adjust(left=MARGIN_LEFT, right=MARGIN_RIGHT, top=MARGIN_TOP,
                           bottom=MARGIN_BOTTOM + LEGEND_ROW * legend_rows)
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return re.sub(r"<metadata>.*?</metadata>", "", text[text.index("<svg"):], flags=re.S)


def scaling_chart(timeline: Timeline, found: Iterable[Reaction], salt: str) -> str:
    figure = _figure()
    replicas = figure.subplots()
    end = max([timeline.end or 0.0] + [s.time for s in timeline.samples] + [c.time for c in timeline.changes])
    scale, unit = (60.0, "min") if end > 300 else (1.0, "s")
    _windows_and_hints(replicas, timeline, end, scale)
    _replica_lines(replicas, timeline, end, scale)
    for reaction in found:
        replicas.plot([reaction.decided_at / scale], [reaction.to_replicas], marker="^" if reaction.direction == "up"
                      else "v", color="black", markersize=6, linestyle="none")
    load_axes = _load_axis(replicas, timeline, end, scale)
    replicas.set_xlabel(f"cluster time since the scenario began ({unit})")
    replicas.set_ylabel("replicas")
    replicas.set_xlim(0, max(end, 1.0) / scale)
    handles, labels = replicas.get_legend_handles_labels()
    if load_axes is not None:
        more = load_axes.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    columns = 4
    figure.legend(handles, labels, loc="lower center", ncol=columns, fontsize=7, frameon=False)
    return _svg(figure, salt, legend_rows=-(-len(labels) // columns))


def _replica_lines(axes, timeline: Timeline, end: float, scale: float) -> None:
    shape = timeline.shape
    for field, label, style in (("desired", "desired replicas", {"color": "tab:blue", "linewidth": 2.2}),
                                ("ready", "ready replicas", {"color": "tab:green", "linewidth": 1.4}),
                                ("predicted", "predicted replicas", {"color": "tab:purple", "linestyle": ":"})):
        points = [(s.time, getattr(s, field)) for s in timeline.samples if getattr(s, field) is not None]
        if points:
            xs, ys = zip(*(points + [(end, points[-1][1])]))
            axes.step([x / scale for x in xs], ys, where="post", label=label, **style)
    if shape is not None:
        for bound, label in ((shape.min_replicas, "min"), (shape.max_replicas, "max")):
            if bound is not None:
                axes.axhline(bound, color="grey", linewidth=0.8, linestyle="--")
                axes.annotate(f"{label} {bound}", (0, bound), xytext=(2, 2), textcoords="offset points",
                              fontsize=7, color="grey")
    top = max([s.desired or 0 for s in timeline.samples] + [s.ready or 0 for s in timeline.samples]
              + [shape.max_replicas or 0 if shape else 0])
    axes.set_ylim(0, top + 1.5)
    _few_ticks(axes, integer=True)


def _load_axis(axes, timeline: Timeline, end: float, scale: float):
    """The scaler's metric as read from the pods, against its target; else what the pods were told."""
    loads = [c for c in timeline.changes if c.kind == "load"]
    read = [c for c in loads if c.read]
    series, field, suffix = (read, "read", " on the pods (as the scaler reads it)") if read else \
        ([c for c in loads if c.values], "values", " set on the pods")
    if not series:
        return None
    load_axes = axes.twinx()
    for key in sorted({k for c in series for k in getattr(c, field)}):
        points = [(c.time, getattr(c, field)[key]) for c in series if key in getattr(c, field)]
        xs, ys = zip(*(points + [(end, points[-1][1])]))
        load_axes.step([x / scale for x in xs], ys, where="post", color="tab:orange", alpha=0.8,
                       label=f"{key}{suffix}")
    shape = timeline.shape
    if read and shape is not None and shape.target is not None:
        load_axes.axhline(shape.target, color="tab:orange", linestyle="-.", linewidth=0.9,
                          label=f"target {shape.target:g}")
    load_axes.set_ylabel("the metric the scaler reads" if read else "load set on the pods", color="tab:orange")
    load_axes.set_ylim(bottom=0)
    _few_ticks(load_axes, x=False)
    return load_axes


def _windows_and_hints(axes, timeline: Timeline, end: float, scale: float) -> None:
    shape = timeline.shape
    if shape is None:
        return
    for rising, spans in window_spans(timeline, end).items():
        window = shape.up_window if rising else shape.down_window
        for index, (start, stop) in enumerate(spans):
            axes.axvspan(start / scale, stop / scale, color="tab:red" if rising else "tab:cyan", alpha=0.12,
                         label=None if index else f"scale-{'up' if rising else 'down'} window {window:g} s")
    for hint, start, stop in hint_spans(shape.hints, timeline.start, end):
        axes.axvspan(start / scale, stop / scale, color="gold", alpha=0.18, hatch="//")
        axes.annotate(f"hint {hint['name']} → {hint['targetReplicas']}", (start / scale, 0.02),
                      xycoords=("data", "axes fraction"), fontsize=7)


def window_spans(timeline: Timeline, end: float) -> dict[bool, list[tuple[float, float]]]:
    """For load rises (True) and falls (False): the stabilization windows they open, overlaps merged."""
    shape, spans, previous = timeline.shape, {True: [], False: []}, None
    for change in (c for c in timeline.changes if c.kind == "load" and c.values):
        level = next(iter(change.values.values()))
        if previous is not None and level != previous:
            rising = level > previous
            window = shape.up_window if rising else shape.down_window
            if window > 0:
                span = (change.time, min(change.time + window, end))
                merged = spans[rising]
                if merged and span[0] <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], span[1]))
                else:
                    merged.append(span)
        previous = level
    return {rising: found for rising, found in spans.items() if found}


def prediction_chart(samples: list[list[float]], look_ahead: float, salt: str) -> str:
    """`samples`: [time of outcome (s since the scenario began), predicted then, actual at that time]."""
    figure = _figure()
    axes = figure.subplots()
    minutes = [s[0] / 60 for s in samples]
    axes.step(minutes, [s[2] for s in samples], where="post", label="actual replicas", color="tab:green")
    axes.step(minutes, [s[1] for s in samples], where="post", linestyle="--", color="tab:purple",
              label=f"predicted {look_ahead / 60:g} min before")
    axes.set_xlabel("cluster time since the scenario began (min)")
    axes.set_ylabel("replicas")
    _few_ticks(axes, integer=True)
    figure.legend(loc="lower center", ncol=2, fontsize=7, frameon=False)
    return _svg(figure, salt, legend_rows=1)


def svg_count(html: str) -> int:
    return len(re.findall(r"<svg\b", html))
