"""Accuracy artifacts: the recorded samples as CSV and a predicted-vs-actual PNG.

matplotlib is imported only when a plot is written, with the Agg backend, so
the rest of the suite never pays for it and never needs a display.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

from support.accuracy import Sample


def _minutes(samples: Sequence[Sample]) -> list[float]:
    start = samples[0].time if samples else 0.0
    return [(s.time - start) / 60 for s in samples]


def write_csv(path: str | Path, samples: Sequence[Sample]) -> Path:
    """Columns: time (epoch s), minute (since the first sample), predicted, actual."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["time", "minute", "predicted", "actual"])
        for sample, minute in zip(samples, _minutes(samples)):
            writer.writerow([f"{sample.time:.3f}", f"{minute:.3f}",
                             sample.predicted, sample.actual])
    return path


def write_plot(path: str | Path, samples: Sequence[Sample], title: str) -> Path:
    """Predicted and actual replicas over minutes since the first sample, as PNG."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    path = Path(path)
    minutes = _minutes(samples)
    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    axes.step(minutes, [s.actual for s in samples], where="post", label="actual")
    axes.step(minutes, [s.predicted for s in samples], where="post",
              linestyle="--", label="predicted")
    axes.set_xlabel("minutes")
    axes.set_ylabel("replicas")
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path
