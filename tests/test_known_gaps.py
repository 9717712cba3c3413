"""The known gaps, all at once and one quirk at a time (issue 11 item 4).

Under -D model=as-built (every departure of support/reference/model.py switched
on) exactly the @known-gap scenarios fail, and each names its quirks. Then each
quirk a scenario names is switched on alone (-D quirks=NAME) and must fail
exactly the scenarios tagged with it: they run with controls that must pass (a
scenario of the same capability naming no known gap and, where there is one, a
known gap of another quirk), two behave processes at a time. A quirk no
scenario names is listed below with the reason, so a new quirk cannot go
unchecked and one that gains a scenario leaves the list.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from behave_runs import Run, SpecScenario, all_features, run_behave, spec_scenarios
from support.gaps import KNOWN_GAP, quirks_of
from support.reference.model import QUIRKS

# Quirks no scenario names yet, and why. Each belongs to a capability whose feature its owner is writing.
WITHOUT_SCENARIO = {
    "baseline-inside-tolerance": "shows only while new pods start inside the tolerance band; the starting-pods "
                                 "failure modes are issue 8's (strategies)",
    "unready-pods-read-as-zero": "needs every running pod unready; the failure-modes feature is issue 8's (strategies)",
    "nan-confidence": "needs a flat history whose variance rounds negative; prediction additions are issue 9's "
                      "(learning-gpu-cost)",
    # The strategy modules (issue 8) model these; strategies-b is wiring them into the operator and features.
    "scale-down-tolerance-unused": "the policies feature of issue 8 (strategies)",
    "no-metrics-without-pods": "the metric sources feature of issue 8 (strategies)",
    "custom-uses-resource-fetcher": "the metric sources feature of issue 8 (strategies)",
    "prometheus-scalar-unsupported": "the metric sources feature of issue 8 (strategies)",
    "external-body-not-trimmed": "the metric sources feature of issue 8 (strategies)",
}
PARALLEL_RUNS = 2  # the machine has 2 cores
FALLBACK_CONTROL = ("scaling", "The scaler becomes Ready")

SCENARIOS = [s for feature in all_features() for s in spec_scenarios(feature)]
TAGGED_QUIRKS = sorted({q for s in SCENARIOS for q in quirks_of(s.tags)})


def _args(tmp: Path, *settings: str) -> list[str]:
    return [arg for setting in (*settings, f"artifacts={tmp / 'artifacts'}") for arg in ("-D", setting)]


def tagged_with(quirk: str) -> list[SpecScenario]:
    return [s for s in SCENARIOS if KNOWN_GAP in s.tags and quirk in quirks_of(s.tags)]


def controls_for(quirk: str) -> list[SpecScenario]:
    """Scenarios that must pass with only `quirk` on: one of the same capability that names no known gap,
    and, where the capability has one, a known gap of another quirk (so the others are off, not ignored)."""
    feature = tagged_with(quirk)[0].feature
    same = [s for s in SCENARIOS if s.feature == feature and quirk not in quirks_of(s.tags)]
    plain = next((s for s in same if KNOWN_GAP not in s.tags), None)
    plain = plain or next(s for s in SCENARIOS if (s.feature, s.key) == FALLBACK_CONTROL)
    other_gap = next((s for s in same if KNOWN_GAP in s.tags), None)
    return [plain] + ([other_gap] if other_gap else [])


def test_as_built_fails_exactly_the_known_gaps(tmp_path):
    run = run_behave(SCENARIOS, tmp_path / "as-built.json", *_args(tmp_path, "model=as-built"))
    failed = {key for key, status in run.statuses.items() if status == "failed"}
    known = {s.key for s in SCENARIOS if KNOWN_GAP in s.tags}
    assert set(run.statuses) == {s.key for s in SCENARIOS}, f"scenarios the run did not report:\n{run.output}"
    assert failed == known, f"failed but not a known gap: {failed - known}; known gap that passed: {known - failed}"
    assert run.exit_code != 0
    for scenario in SCENARIOS:
        if KNOWN_GAP in scenario.tags:
            assert quirks_of(scenario.tags), f"{scenario.key!r} names no @quirk.<name> tag"


def test_every_quirk_is_named_by_a_scenario_or_explained():
    untagged = set(QUIRKS) - set(TAGGED_QUIRKS)
    assert untagged - set(WITHOUT_SCENARIO) == set(), "quirks no scenario names, with no reason in WITHOUT_SCENARIO"
    assert set(WITHOUT_SCENARIO) - untagged == set(), "quirks that now have a scenario: take them off WITHOUT_SCENARIO"
    assert set(WITHOUT_SCENARIO) <= set(QUIRKS), "WITHOUT_SCENARIO names a quirk the model does not have"
    for quirk in sorted(untagged):
        print(f"quirk without a scenario: {quirk}: {WITHOUT_SCENARIO[quirk]}")


@pytest.fixture(scope="module")
def alone(tmp_path_factory) -> dict[str, Run]:
    """Each quirk a scenario names, switched on alone, on its scenarios and a control."""
    tmp = tmp_path_factory.mktemp("alone")

    def run(quirk: str) -> Run:
        # in the order a whole run meets them: a quirk whose state outlives a scenario (a history shared
        # across scalers) acts on what comes after, as it does in a whole run
        chosen = sorted({*tagged_with(quirk), *controls_for(quirk)}, key=lambda s: (s.feature, s.line))
        return run_behave(chosen, tmp / f"{quirk}.json", *_args(tmp, "model=as-built", f"quirks={quirk}"))

    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        return dict(zip(TAGGED_QUIRKS, pool.map(run, TAGGED_QUIRKS)))


@pytest.mark.parametrize("quirk", TAGGED_QUIRKS)
def test_a_quirk_alone_fails_exactly_the_scenarios_tagged_with_it(quirk, alone):
    run = alone[quirk]
    for scenario in tagged_with(quirk):
        assert run.statuses.get(scenario.key) == "failed", \
            f"quirk {quirk} alone should fail {scenario.key!r}, got {run.statuses.get(scenario.key)}:\n{run.output}"
        assert run.failed_steps[scenario.key].endswith(": failed"), \
            f"{scenario.key!r} should fail on an assertion, not an error: {run.failed_steps[scenario.key]}"
    for control in controls_for(quirk):
        assert run.statuses.get(control.key) == "passed", \
            f"quirk {quirk} alone should leave {control.key!r} passing:\n{run.output}"
    assert run.exit_code != 0, f"behave should exit non-zero with quirk {quirk} on:\n{run.output}"
