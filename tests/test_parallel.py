"""The parallel runner: planning, the command lines it builds, and a run that matches a serial one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import PYTHON, ROOT, clean_env

from support.parallel import (REAL_TIME_TIMINGS, Scenario, options_without_paths, plan, select, timing_key, userdata,
                              without_formats)


def test_longest_first_onto_the_least_loaded_worker_then_file_order():
    scenarios = [Scenario(f"features/a.feature:{line}", ()) for line in (10, 20, 30, 40)]
    timings = {"features/a.feature:10": 100.0, "features/a.feature:20": 60.0, "features/a.feature:30": 50.0}
    workers = plan(scenarios, 2, timings)
    # 100 -> 1; 60 -> 2; 40 (untimed: the median, 60) -> 2 (60 < 100); 50 -> 1 (100 < 120)
    assert [[s.location for s in w.scenarios] for w in workers] == [
        ["features/a.feature:10", "features/a.feature:30"], ["features/a.feature:20", "features/a.feature:40"]]
    assert len(plan(scenarios[:1], 4, {})) == 1  # no idle workers started


def test_timings_follow_a_scenario_whose_lines_moved_and_new_ones_count_as_the_median():
    moved = Scenario("features/a.feature:44", (), "Scale-down -- @1.2 ")  # was line 40 when timed
    new = Scenario("features/a.feature:90", (), "A new scenario")
    short = Scenario("features/a.feature:10", (), "Short")
    timings = {timing_key("features/a.feature", "Scale-down -- @1.2"): 300.0,
               timing_key("features/a.feature", "Short"): 20.0, "features/a.feature:5": 100.0}
    workers = plan([moved, new, short], 2, timings)
    # 300 -> 1; the new one counts as the median (100), not 10 s -> 2; 20 -> 2 (100 < 300)
    assert [[s.location for s in w.scenarios] for w in workers] == [
        ["features/a.feature:44"], ["features/a.feature:10", "features/a.feature:90"]], \
        "a scenario keeps its timing when its line moves; an untimed one is planned as a typical one"
    assert [w.estimate for w in workers] == [300.0, 120.0]


def test_the_checked_in_real_time_timings_name_scenarios_that_exist():
    """Keys that match no scenario any more would silently plan every scenario as 'typical'."""
    known = {s.key for s in select([])}
    stale = sorted(set(json.loads(REAL_TIME_TIMINGS.read_text())) - known)
    assert not stale, f"support/real_time_timings.json names scenarios that no feature has: {stale}"


def test_workers_get_the_options_not_the_paths_and_the_runner_chooses_the_formats():
    args = ["--tags", "not @known-gap", "-D", "target=cluster", "features/scaling.feature", "-f", "plain",
            "--format=json", "-Dmodel=as-built", "features/learning.feature:12"]
    assert without_formats(args) == ["--tags", "not @known-gap", "-D", "target=cluster",
                                     "features/scaling.feature", "-Dmodel=as-built", "features/learning.feature:12"]
    assert options_without_paths(without_formats(args)) == ["--tags", "not @known-gap", "-D", "target=cluster",
                                                            "-Dmodel=as-built"]
    assert userdata(args) == {"target": "cluster", "model": "as-built"}


def test_a_fixed_namespace_is_refused_for_parallel_workers(tmp_path):
    done = subprocess.run([PYTHON, "-m", "support", "run", "--jobs", "2", "-D", "namespace=mine",
                           "features/scaling.feature"], cwd=ROOT, capture_output=True, text=True,
                          env=clean_env(tmp_path))
    assert done.returncode == 2
    assert "a fixed namespace cannot be shared by parallel workers" in done.stderr


def _results(run_json: Path) -> dict[str, str]:
    return {s["name"]: s["status"] for s in json.loads(run_json.read_text())["scenarios"]}


def test_two_workers_give_the_same_results_as_one_behave_and_one_merged_report(tmp_path):
    selection = ["features/scaling.feature", "--tags=not @known-gap"]
    count = len(select(selection))
    serial = subprocess.run([PYTHON, "-m", "behave", *selection, "-f", "progress", "-D",
                             f"reports={tmp_path / 'serial'}"], cwd=ROOT, capture_output=True, text=True,
                            env=clean_env(tmp_path / "tmp1"), timeout=900)
    parallel = subprocess.run([PYTHON, "-m", "support", "run", "--jobs", "2", *selection, "-D",
                               f"reports={tmp_path / 'parallel'}"], cwd=ROOT, capture_output=True, text=True,
                              env=clean_env(tmp_path / "tmp2"), timeout=900)
    assert serial.returncode == 0, serial.stdout[-2000:]
    assert parallel.returncode == 0, parallel.stdout[-3000:] + parallel.stderr[-2000:]
    assert f"{count} passed, 0 failed, 0 skipped" in parallel.stdout.splitlines()
    assert parallel.stdout.count("worker ") == 2
    serial_results = _results(tmp_path / "serial" / "latest" / "run.json")
    parallel_folder = (tmp_path / "parallel" / "latest").resolve()
    assert _results(parallel_folder / "run.json") == serial_results and len(serial_results) == count
    assert sorted(p.name for p in parallel_folder.iterdir()) == ["junit.xml", "report.html", "run.json", "workers"]
    assert (parallel_folder / "report.html").read_text().count('<figure class="chart">') == count


def test_a_terminated_run_does_not_start_the_controller_restarts_afterwards(tmp_path, monkeypatch):
    """SIGTERM reaches the first phase's workers; the phase that restarts the controller must not follow."""
    from support import parallel
    scenarios = [Scenario("features/a.feature:10", ()),
                 Scenario("features/a.feature:20", (parallel.RESTARTS_CONTROLLER,))]
    started: list[list[str]] = []
    monkeypatch.setattr(parallel, "select", lambda args: scenarios)
    monkeypatch.setattr(parallel, "_start", lambda worker, options, folder: started.append(
        [s.location for s in worker.scenarios]) or folder / "workers" / str(worker.number))

    def terminated(workers, out, stopped):
        stopped.set()  # as the SIGTERM handler does
        return [1 for _ in workers]
    monkeypatch.setattr(parallel, "_wait_all", terminated)
    out = tmp_path / "out.txt"
    with out.open("w") as sink:
        code = parallel.run(2, ["-D", "target=cluster", "-D", f"reports={tmp_path}"], out=sink)
    assert started == [["features/a.feature:10"]], f"workers started: {started}"
    assert code == 2, "an interrupted run is not a result"
    assert "1 scenarios not started" in out.read_text()


def test_a_real_time_run_plans_by_real_time_seconds_only(tmp_path):
    """The embedded cluster's seconds say nothing about a real-time cluster, and the other way round."""
    from support.parallel import REAL_TIME_TIMINGS, last_timings
    checked_in = json.loads(REAL_TIME_TIMINGS.read_text())
    assert checked_in and all(isinstance(v, (int, float)) and v > 0 for v in checked_in.values())
    (tmp_path / "r1").mkdir()
    (tmp_path / "latest").symlink_to("r1")
    embedded = {"banner": "budaiscaler-spec\ntarget:    local", "scenarios": [
        {"location": "features/scaling.feature:18", "duration": 0.5, "status": "passed"}]}
    (tmp_path / "r1" / "run.json").write_text(json.dumps(embedded))
    assert last_timings(tmp_path, real_time=False) == {"features/scaling.feature:18": 0.5}
    assert last_timings(tmp_path, real_time=True) == {k: float(v) for k, v in checked_in.items()}
    cluster = {"banner": "budaiscaler-spec\ntarget:    cluster", "scenarios": [
        {"location": "features/scaling.feature:18", "duration": 42.0, "status": "passed"}]}
    (tmp_path / "r1" / "run.json").write_text(json.dumps(cluster))
    assert last_timings(tmp_path, real_time=True)["features/scaling.feature:18"] == 42.0
    assert last_timings(tmp_path, real_time=False) == {}
