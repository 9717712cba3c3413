"""Virtual-time steps refuse to run on a real clock instead of holding for hours (audit item 10)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from hamcrest import assert_that, contains_string, equal_to

from support.clock import RealClock, VirtualClock
from support.cluster import PreconditionError
from support.scenario import Scenario

FEATURES = Path(__file__).resolve().parent.parent / "features"
VIRTUAL_ONLY = re.compile(r"cluster time\b")


def _world(clock) -> SimpleNamespace:
    return SimpleNamespace(target=SimpleNamespace(clock=clock))


def test_waiting_until_a_time_of_day_refuses_a_real_clock():
    with pytest.raises(PreconditionError) as refused:
        Scenario.seconds_until(_world(RealClock()), 14, 0)
    assert_that(str(refused.value), contains_string("@use.with_target=local"))


def test_waiting_until_a_time_of_day_is_fine_on_the_virtual_clock():
    clock = VirtualClock(start=1_767_607_200.0)  # 2026-01-05T10:00:00Z
    assert_that(Scenario.seconds_until(_world(clock), 11, 30), equal_to(5400.0))


def _scenarios(text: str):
    """(tags in force, steps) for each scenario of a feature file, Background steps included."""
    feature_tags, pending_tags, background, current, found = [], [], [], None, []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("@"):
            pending_tags += stripped.split()
        elif stripped.startswith("Feature:"):
            feature_tags, pending_tags = pending_tags, []
        elif stripped.startswith("Background:"):
            current = background
        elif stripped.startswith(("Scenario:", "Scenario Outline:")):
            current = list(background)
            found.append((feature_tags + pending_tags, current))
            pending_tags = []
        elif current is not None and stripped.split(" ", 1)[0] in ("Given", "When", "Then", "And", "But"):
            current.append(stripped)
    return found


@pytest.mark.parametrize("feature", sorted(FEATURES.glob("*.feature")), ids=lambda p: p.name)
def test_every_scenario_on_virtual_time_is_kept_off_real_clusters(feature):
    for tags, steps in _scenarios(feature.read_text()):
        virtual = [s for s in steps if VIRTUAL_ONLY.search(s)] + [t for t in tags if t.startswith("@starts.")]
        if virtual:
            assert_that("@use.with_target=local" in tags, equal_to(True),
                        f"{feature.name}: a scenario using {virtual[0]!r} must be tagged @use.with_target=local")


def test_the_scan_sees_the_virtual_time_scenarios_there_are():
    virtual = [tags for feature in FEATURES.glob("*.feature") for tags, steps in _scenarios(feature.read_text())
               if any(VIRTUAL_ONLY.search(s) for s in steps) or any(t.startswith("@starts.") for t in tags)]
    assert_that(len(virtual) >= 1, equal_to(True), "no scenario on virtual time found: the scan is broken")
