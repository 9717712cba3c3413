"""scripts/mutation.py (make mutation): the score it reports, what it re-runs, and the survivors file it keeps."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("mutation_driver", ROOT / "scripts" / "mutation.py")
driver = sys.modules["mutation_driver"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(driver)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A mutants/ folder with two modules' results, and the survivors file beside it."""
    monkeypatch.setattr(driver, "MUTANTS", tmp_path / "mutants")
    monkeypatch.setattr(driver, "SURVIVORS", tmp_path / "survivors.md")
    monkeypatch.setattr(driver, "_change", lambda name, path: f"`a` -> `b` ({name[-1]})")
    for module, results in {"a.py": {"m.x_f__mutmut_1": 1, "m.x_f__mutmut_2": 0, "m.x_f__mutmut_10": 36},
                            "b.py": {"m.x_g__mutmut_1": 33, "m.x_g__mutmut_2": None, "m.x_g__mutmut_3": 37}}.items():
        meta = tmp_path / "mutants" / driver.SOURCE / f"{module}.meta"
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"exit_code_by_key": results}))
    return tmp_path


def test_killed_timed_out_and_type_checked_count_as_killed_and_no_tests_as_survived(cache):
    a, b = driver.modules()
    assert (a.killed, a.checked, a.survivors(), a.pending()) == (2, 3, ["m.x_f__mutmut_2"], [])
    assert (b.killed, b.checked, b.survivors(), b.pending()) == (1, 2, ["m.x_g__mutmut_1"], ["m.x_g__mutmut_2"])


def test_no_score_while_mutants_are_unchecked(cache, capsys):
    assert driver.report(driver.modules()) == 0.0
    assert ("60.0% (3 of 5 mutants killed, 1 of them by a timeout; 1 not checked yet: the score is of the 83% checked)"
            in capsys.readouterr().out)


def test_the_survivors_file_keeps_explanations_and_marks_new_survivors_open(cache):
    found = driver.modules()
    assert driver.write_survivors(found) == 2
    text = driver.SURVIVORS.read_text()
    assert f"- `m.x_f__mutmut_2`: {driver.OPEN}  | `a` -> `b` (2)" in text
    driver.SURVIVORS.write_text(text.replace(f"`m.x_g__mutmut_1`: {driver.OPEN}",
                                             "`m.x_g__mutmut_1`: equivalent: no test reaches it"))
    assert driver.write_survivors(found) == 1
    assert "- `m.x_g__mutmut_1`: equivalent: no test reaches it  | `a` -> `b` (1)" in driver.SURVIVORS.read_text()


def test_unchecked_mutants_run_in_fixed_random_batches_each_once(monkeypatch):
    monkeypatch.setattr(driver, "BATCH", 4)
    names = [f"m.x_f__mutmut_{i}" for i in range(1, 11)]
    batches = driver._batches(list(reversed(names)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(n for b in batches for n in b) == sorted(names)
    assert batches == driver._batches(names)                      # the same order whatever order they came in
    assert [n for b in batches for n in b] != names               # not file order: an early stop is a sample
