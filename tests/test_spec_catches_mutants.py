"""The spec fails when the model misbehaves: each deliberately broken model is caught.

Runs features against the mutants of tests/mutants/catalog.py on the embedded
cluster and checks that the scenarios guarding the broken promise fail (and,
as a control, that the unbroken model passes them).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# mutant -> (feature, scenarios that must catch it)
CAUGHT_BY = {
    "ignore-max-replicas": ("scaling", {"Replicas stay within the bounds under extreme load -- @1.1 "}),
    "ignore-min-replicas": ("scaling", {"Replicas stay within the bounds under light load -- @1.5 "}),
    "skip-scale-down-window": ("scaling", {"No scale-down before the scale-down window has passed"}),
    "never-scale-up": ("scaling", {"Scale-up when GPU cache usage rises above the target"}),
    "never-scale-down": ("scaling", {"Scale-down when the load falls"}),
    "never-write-target": ("scaling", {"The deployment follows the desired replicas"}),
    "never-ready": ("scaling", {"The scaler becomes Ready"}),
    "no-validation": ("scaling", {"A scaler whose minimum exceeds its maximum says why it is not Ready"}),
    "no-pattern-detection": ("learning", {"KV cache pressure is detected",
                                          "A batch spike is detected as batch ingestion"}),
    "no-data-points": ("learning", {"A data point is collected every reconcile",
                                    "Data points accrue across the hours of the day"}),
    "never-persist": ("learning", {"The learned daily profile follows the traffic",
                                   "Learning data is saved in a ConfigMap",
                                   "Learning data survives a controller restart"}),
    "forget-on-restart": ("learning", {"Learning data survives a controller restart"}),
    "inverted-direction-accuracy": ("learning", {"Prediction accuracy is tracked"}),
    "mape-over-predicted": ("accuracy", {"Accuracy over a short traffic trace -- @1.1 the old suite's --quick"}),
    "no-prediction-status": ("accuracy", {"Accuracy over a short traffic trace -- @1.1 the old suite's --quick",
                                          "Accuracy over a long traffic trace -- @2.1 the old suite's --full"}),
    "prediction-without-confidence": ("prediction", {"No predictive scale-up without enough history"}),
    "hints-ignored": ("prediction", {"Scheduled capacity is in place when the afternoon peak begins"}),
}
# The issues ask that every scenario of these features is caught by some broken model.
EVERY_SCENARIO_GUARDED = ("learning", "accuracy")


def run_feature(feature: str, tmp_path: Path, mutant: str | None = None) -> dict[str, str]:
    """Scenario name -> status of one behave run (optionally with a mutant applied)."""
    report = tmp_path / f"{mutant or 'clean'}.json"
    behave_args = [f"features/{feature}.feature", "-f", "json", "-o", str(report), "--no-junit",
                   "-D", f"artifacts={tmp_path / 'artifacts'}"]
    if mutant:
        command = [sys.executable, "tests/mutants/run.py", mutant, *behave_args]
    else:
        command = [sys.executable, "-m", "behave", *behave_args]
    subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    features = json.loads(report.read_text())
    return {element["name"]: element["status"] for feature_ in features
            for element in feature_.get("elements", []) if element.get("type") == "scenario"}


@pytest.fixture(scope="module")
def clean_results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clean")
    return {feature: run_feature(feature, tmp) for feature in {f for f, _ in CAUGHT_BY.values()}}


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_broken_model_is_caught(mutant, clean_results, tmp_path):
    feature, guards = CAUGHT_BY[mutant]
    results = run_feature(feature, tmp_path, mutant)
    for scenario in guards:
        assert clean_results[feature][scenario] == "passed", f"control: {scenario!r} should pass unbroken"
        assert results[scenario] == "failed", f"the {mutant} model should fail {scenario!r}, got {results[scenario]}"


@pytest.mark.parametrize("feature", EVERY_SCENARIO_GUARDED)
def test_every_scenario_catches_some_broken_model(feature, clean_results):
    guarded = set().union(*(guards for f, guards in CAUGHT_BY.values() if f == feature))
    assert set(clean_results[feature]) <= guarded, f"{feature} scenarios no mutant checks"
