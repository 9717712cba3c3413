"""`python -m support run --jobs N [behave options and paths]`: the spec, N scenarios at a time.

behave selects the scenarios (a dry run with the same options and paths); they
are shared out among N workers, longest first by the last run's timings (keyed
by feature file and scenario name, so editing a feature does not lose them). Each
worker is one behave process, so on the embedded cluster each has a cluster
and a virtual clock of its own; on a real cluster (`-D target=cluster`) they
share it, each scenario in its own namespace as always, and the scenarios that
restart the controller run alone at the end. Each worker writes run.json into
`<run folder>/workers/<n>/`; the runner merges them into one JUnit, JSON and
HTML report and exits as behave would (0 all passed, 1 a failure, 2 could not run).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from support.report.hooks import RUN_FOLDER_ENV
from support.report.run import RUN_FILE, Run, merge, new_run_id, point_latest

RESTARTS_CONTROLLER = "use.with_controller_restart=allowed"
DEFAULT_SECONDS = 10.0  # a scenario the last run did not time, when it timed none
REAL_TIME_TIMINGS = Path(__file__).with_name("real_time_timings.json")  # `make spec-cluster`, measured
CLUSTER_BANNER = "\ntarget:    cluster"  # how a run's start banner (run.json) says it ran on a real cluster


@dataclass(frozen=True)
class Scenario:
    location: str        # features/scaling.feature:52 (an outline row has its own line)
    tags: tuple[str, ...]
    name: str = ""       # behave's name: an outline row's ends in '-- @1.2 <examples>'

    @property
    def key(self) -> str:
        return timing_key(self.location.rsplit(":", 1)[0], self.name) if self.name else self.location


def timing_key(feature_file: str, behave_name: str) -> str:
    """What a scenario's timing is kept under: stable when lines move, as they do with every edit."""
    return f"{feature_file}::{behave_name.strip()}"


@dataclass
class Worker:
    number: int
    scenarios: list[Scenario] = field(default_factory=list)
    estimate: float = 0.0
    process: subprocess.Popen | None = None
    log: Path | None = None


def select(behave_args: list[str]) -> list[Scenario]:
    """The scenarios behave would run with these options and paths (a dry run: no hooks, no cluster)."""
    with tempfile.TemporaryDirectory(prefix="budspec-select-") as folder:
        listing = Path(folder) / "selected.json"
        done = subprocess.run([sys.executable, "-m", "behave", *behave_args, "--dry-run", "--no-summary",
                               "--format", "json", "--outfile", str(listing)], capture_output=True, text=True)
        if done.returncode not in (0, 1) or not listing.is_file():
            raise SystemExit(f"run: behave could not select scenarios:\n{done.stderr.strip() or done.stdout.strip()}")
        features = json.loads(listing.read_text() or "[]")
    return [Scenario(e["location"], tuple(e.get("tags", [])), e.get("name", "")) for f in features
            for e in f.get("elements", [])
            if e.get("type") == "scenario" and e.get("status") != "skipped"]


def plan(scenarios: list[Scenario], jobs: int, timings: dict[str, float]) -> list[Worker]:
    """Longest first onto the least-loaded worker; each worker's list back in file order. A scenario
    with no timing (new or renamed) counts as the median of those timed: on a real-time cluster that
    is minutes, and guessing seconds would pile new scenarios onto one worker."""
    workers = [Worker(n) for n in range(1, jobs + 1)]
    guess = statistics.median(timings.values()) if timings else DEFAULT_SECONDS

    def seconds(scenario: Scenario) -> float:
        return timings.get(scenario.key, timings.get(scenario.location, guess))

    for scenario in sorted(scenarios, key=lambda s: -seconds(s)):
        worker = min(workers, key=lambda w: (w.estimate, w.number))
        worker.scenarios.append(scenario)
        worker.estimate += seconds(scenario)
    for worker in workers:
        worker.scenarios.sort(key=lambda s: (s.location.rsplit(":", 1)[0], int(s.location.rsplit(":", 1)[1])))
    return [w for w in workers if w.scenarios]


def last_timings(reports: Path, real_time: bool = False) -> dict[str, float]:
    """Scenario key (or, from older runs, location) -> seconds it took in the last run of the same kind (real time on a cluster,
    or virtual time on the embedded one: the seconds are not comparable). A real-time run with no
    such run here (a fresh clone, CI) starts from the checked-in measurement, REAL_TIME_TIMINGS."""
    timings = _load_timings(REAL_TIME_TIMINGS) if real_time else {}
    try:
        run = json.loads((reports / "latest" / RUN_FILE).read_text())
    except (OSError, ValueError):
        return timings
    if (CLUSTER_BANNER in run.get("banner", "")) == real_time:
        timings.update({s.get("key") or s["location"]: s["duration"] for s in run.get("scenarios", [])
                        if s.get("status") != "skipped"})
    return timings


def _load_timings(path: Path) -> dict[str, float]:
    try:
        return {location: float(seconds) for location, seconds in json.loads(path.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def options_without_paths(behave_args: list[str]) -> list[str]:
    """The options of a behave command line, its paths left out (workers get scenario locations instead)."""
    kept, takes_value = [], False
    for arg in behave_args:
        if takes_value:
            kept.append(arg)
            takes_value = False
        elif arg.startswith("-"):
            kept.append(arg)
            takes_value = "=" not in arg and arg in _OPTIONS_WITH_VALUE
        # else: a path (features/x.feature[:line]): left out
    return kept


def without_formats(behave_args: list[str]) -> list[str]:
    """The command line less its formatters and their output files (the runner chooses those)."""
    kept, skip = [], False
    for arg in behave_args:
        if skip:
            skip = False
        elif arg in _FORMAT_OPTIONS:
            skip = True
        elif not arg.startswith(tuple(f"{o}=" for o in _FORMAT_OPTIONS)):
            kept.append(arg)
    return kept


_FORMAT_OPTIONS = ("-f", "--format", "-o", "--outfile")
_OPTIONS_WITH_VALUE = {"-D", "--define", "-t", "--tags", "-n", "--name", "-i", "--include", "-e", "--exclude",
                       "-f", "--format", "-o", "--outfile", "-l", "--lang", "--logging-level", "--stage",
                       "--junit-directory", "--logging-format", "--logging-datefmt", "--logging-filter",
                       "--capture-hooks", "--runner", "-r"}


def userdata(behave_args: list[str]) -> dict[str, str]:
    found, args = {}, iter(behave_args)
    for arg in args:
        definition = next(args, "") if arg in ("-D", "--define") else \
            arg[2:] if arg.startswith("-D") else arg.split("=", 1)[1] if arg.startswith("--define=") else None
        if definition:
            key, _, value = definition.partition("=")
            found[key] = value or "true"
    return found


def run(jobs: int, behave_args: list[str], out=sys.stdout) -> int:
    behave_args = without_formats(behave_args)
    defined = userdata(behave_args)
    namespace = defined.get("namespace") or os.environ.get("NAMESPACE") or ""
    if jobs > 1 and namespace and not namespace.endswith("-"):
        print("run: a fixed namespace cannot be shared by parallel workers: give a prefix ending in '-' "
              "(-D namespace=myteam-) or leave it out", file=sys.stderr)
        return 2
    reports = Path(defined.get("reports") or os.environ.get("BUDSPEC_REPORTS") or "reports")
    scenarios = select(behave_args)
    if not scenarios:
        print("run: no scenario selected", file=out)
        return 0
    on_real_cluster = (defined.get("target") or os.environ.get("BUDSPEC_TARGET", "local")) == "cluster"
    alone = [s for s in scenarios if on_real_cluster and RESTARTS_CONTROLLER in s.tags]
    together = [s for s in scenarios if s not in alone]
    folder = reports / new_run_id()
    started = time.monotonic()
    options = options_without_paths(behave_args)
    phases = [plan(together, jobs, last_timings(reports, on_real_cluster))] + ([plan(alone, 1, {})] if alone else [])
    codes, parts, number, stopped = [], [], 0, threading.Event()
    for workers in phases:
        if stopped.is_set():  # SIGTERM: the next phase (the controller restarts) is not started
            print(f"run: stopped; {sum(len(w.scenarios) for w in workers)} scenarios not started", file=out)
            codes.append(2)
            break
        for worker in workers:
            number += 1
            worker.number = number
            parts.append(_start(worker, options, folder))
        print(f"run: {sum(len(w.scenarios) for w in workers)} scenarios on {len(workers)} worker(s), "
              f"reports in {folder}", file=out)
        codes += _wait_all(workers, out, stopped)
    merged = merge(parts, folder)
    page = merged.finish(processes=jobs)
    point_latest(reports, folder.name)
    print(f"\n{_summary(merged)}\ntook {time.monotonic() - started:.1f} s on {jobs} worker(s)", file=out)
    print(f"report: {page}", file=out)
    return 2 if any(c not in (0, 1) for c in codes) else max(codes, default=0)


def _start(worker: Worker, options: list[str], folder: Path) -> Path:
    part = folder / "workers" / str(worker.number)
    part.mkdir(parents=True, exist_ok=True)
    worker.log = part / "behave.log"
    env = dict(os.environ, **{RUN_FOLDER_ENV: str(part), "PYTHONUNBUFFERED": "1"})
    command = [sys.executable, "-m", "behave", *options, "-D", "progress=never", "--format", "progress",
               *[s.location for s in worker.scenarios]]
    with open(worker.log, "w") as sink:
        worker.process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    return part


def _wait_all(workers: list[Worker], out, stopped: threading.Event) -> list[int]:
    """Wait for every worker. Ctrl-C reaches them too; SIGTERM is passed on (and sets `stopped`).
    Either way each worker cleans up its namespace and ends before the runner does."""
    def terminate(signum, frame):
        stopped.set()
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.terminate()
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        return [_wait(worker, out) for worker in workers]
    except KeyboardInterrupt:
        for worker in workers:
            worker.process.wait()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait(worker: Worker, out) -> int:
    code = worker.process.wait()
    tail = worker.log.read_text(errors="replace").strip().splitlines()[-3:]
    print(f"worker {worker.number} ({len(worker.scenarios)} scenarios) exited {code}: "
          f"{' | '.join(line for line in tail if 'passed' in line or 'cannot start' in line) or tail}", file=out)
    if code not in (0, 1):
        print(worker.log.read_text(errors="replace")[-3000:], file=out)
    return code


def _summary(run: Run) -> str:
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    for scenario in run.scenarios:
        key = scenario["status"] if scenario["status"] in totals else "failed"
        totals[key] += 1
    return f"{totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped"


def main(argv: list[str] | None = None, prog: str = "python -m support run") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0],
                                     epilog="Every other option and path goes to behave, e.g. "
                                            f"{prog} --jobs 2 --tags='not @known-gap' -D target=cluster")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="scenarios at a time (default: 2)")
    args, behave_args = parser.parse_known_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs {args.jobs}: give 1 or more")
    return run(args.jobs, behave_args)


if __name__ == "__main__":
    sys.exit(main())
