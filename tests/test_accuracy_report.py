"""Accuracy artifacts: CSV and PNG."""
import csv

from support.accuracy import Sample
from support.accuracy_report import write_csv, write_plot

SAMPLES = [Sample(1000.0, 2, 1), Sample(1060.0, 3, 3), Sample(1150.0, 3, 4)]


def test_csv_has_minutes_since_the_first_sample(tmp_path):
    path = write_csv(tmp_path / "accuracy.csv", SAMPLES)
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["time", "minute", "predicted", "actual"]
    assert rows[1:] == [["1000.000", "0.000", "2", "1"], ["1060.000", "1.000", "3", "3"],
                        ["1150.000", "2.500", "3", "4"]]


def test_plot_is_a_png(tmp_path):
    path = write_plot(tmp_path / "accuracy.png", SAMPLES, "predicted vs actual")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
