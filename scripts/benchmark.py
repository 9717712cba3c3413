#!/usr/bin/env python3
"""CPU and wall time of the whole spec on the embedded cluster, per scenario, and per capability against the old suite.

One behave process runs the whole spec (`python scripts/benchmark.py [--repeat N] [-D model=as-built]`):
start-up (embedded cluster, controller) and the report count in the whole-spec figures and in
seconds per scenario, the goal this project holds itself to. The goal is held on CPU seconds
(user + system of the behave process): on a shared machine wall time measures the neighbours too.
Each capability's time is the sum of its scenarios' times in that run, set against the old shell
suite's figures (its own README's).

The same code measures up to ~40 % apart on this shared 2-core machine from one hour to the next
(the host's load, not ours), so the run also times a fixed pure-Python workload before and after:
compare figures of different days only with their machine figures side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS_PER_SCENARIO = 0.85

# capability -> (how to pick its scenarios from the run, old script, old wall time in seconds)
CAPABILITIES = {
    "scaling": (lambda feature, tags: feature == "scaling", "scaling-test.sh run", 3 * 60),
    "learning": (lambda feature, tags: "learning" in tags, "learning-test.sh run", 5 * 60),
    "accuracy (quick)": (lambda feature, tags: {"accuracy", "quick"} <= tags, "accuracy-test.sh run --quick", 8 * 60),
    "accuracy (full)": (lambda feature, tags: {"accuracy", "full"} <= tags, "accuracy-test.sh run --full", 15 * 60),
    "prediction": (lambda feature, tags: "prediction" in tags, "(no old script)", None),
}


def run_spec(extra: list[str]) -> tuple[float, float, int, list[dict]]:
    """(wall seconds, CPU seconds, behave's exit code, scenarios of the JSON report)."""
    with tempfile.TemporaryDirectory(prefix="budspec-bench-") as tmp:
        report = Path(tmp) / "report.json"
        started, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run([sys.executable, "-m", "behave", "-f", "json", "-o", str(report), "--no-junit",
                               "-D", f"artifacts={tmp}/artifacts", "-D", f"reports={tmp}/reports", *extra],
                              cwd=ROOT, capture_output=True, text=True)
        wall, cpu = time.perf_counter() - started, _children_cpu() - cpu
        if not report.is_file():
            sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
            return wall, cpu, done.returncode or 1, []
        scenarios = []
        for feature in json.loads(report.read_text()):
            name = feature["location"].rsplit("/", 1)[-1].split(".feature")[0]
            for element in feature.get("elements", []):
                if element.get("type") == "scenario":
                    seconds = sum(s.get("result", {}).get("duration", 0.0) for s in element["steps"])
                    tags = {t.lstrip("@") for t in element.get("tags", [])} | {t.lstrip("@") for t in feature.get("tags", [])}
                    scenarios.append({"feature": name, "name": element["name"], "tags": tags, "status": element["status"], "seconds": seconds,
                                      "location": element["location"]})
        return wall, cpu, done.returncode, scenarios


def machine_seconds() -> float:
    """CPU seconds of a fixed pure-Python workload (dicts, strings, JSON): how fast the machine is right now."""
    started = time.process_time()
    for i in range(40_000):
        json.loads(json.dumps({"name": f"pod-{i}", "labels": {"app": "vllm"}, "values": [i, i * 0.5, str(i)]}))
    return time.process_time() - started


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="whole-spec runs (the median is reported)")
    parser.add_argument("-D", dest="defines", action="append", default=[], help="behave -D name=value")
    parser.add_argument("--jobs", type=int, default=2,
                        help="also time the whole spec with `python -m support run --jobs N` (0: do not)")
    args = parser.parse_args()
    extra = [arg for define in args.defines for arg in ("-D", define)]
    machine_before = machine_seconds()
    runs = [run_spec(extra) for _ in range(args.repeat)]
    machine_after = machine_seconds()
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    _, _, code, scenarios = runs[-1]
    count = len(scenarios)
    passed = sum(1 for s in scenarios if s["status"] == "passed")
    print(f"{'capability':<18} {'scenarios':>9} {'time (s)':>9} {'old suite':>11} {'speed-up':>9}")
    for name, (picks, old_script, old_seconds) in CAPABILITIES.items():
        chosen = [s for s in scenarios if picks(s["feature"], s["tags"])]
        seconds = sum(s["seconds"] for s in chosen)
        old = f"{old_seconds:>9.0f} s" if old_seconds else f"{'-':>11}"
        ratio = f"{old_seconds / seconds:>8.0f}x" if old_seconds and seconds else f"{'-':>9}"
        print(f"{name:<18} {len(chosen):>9} {seconds:>9.1f} {old} {ratio}  [{old_script}]")
    per_scenario = cpu / count if count else float("inf")
    verdict = "within" if per_scenario <= GOAL_SECONDS_PER_SCENARIO else "OVER"
    print(f"\nwhole spec: {count} scenarios ({passed} passed) in {cpu:.1f} s CPU, {wall:.1f} s wall "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores), start-up and report included"
          + (f" (median of {args.repeat})" if args.repeat > 1 else ""))
    print(f"CPU seconds per scenario: {per_scenario:.2f} ({verdict} the goal of {GOAL_SECONDS_PER_SCENARIO}); "
          f"wall seconds per scenario: {wall / count if count else float('inf'):.2f}")
    print(f"machine: the fixed workload took {machine_before:.2f} s CPU before the run and {machine_after:.2f} s "
          "after (lower is faster; compare runs only at like figures)")
    slowest = sorted(scenarios, key=lambda s: -s["seconds"])[:5]
    if slowest:
        print("slowest:")
        for s in slowest:
            print(f"  {s['seconds']:6.1f} s  {s['feature']}: {s['name']}")
    same = parallel_row(args.jobs, extra, wall, scenarios) if args.jobs else True
    return 0 if code == 0 and passed == count and count and same else 1


def parallel_row(jobs: int, extra: list[str], serial_wall: float, serial: list[dict]) -> bool:
    """The whole spec again with `jobs` workers (one embedded cluster each): its wall time and speed-up,
    and whether every scenario ended as it did in the serial run."""
    with tempfile.TemporaryDirectory(prefix="budspec-bench-") as tmp:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "support", "run", "--jobs", str(jobs), "-D",
                               f"reports={tmp}/reports", "-D", f"artifacts={tmp}/artifacts", *extra],
                              cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        run = Path(tmp) / "reports" / "latest" / "run.json"
        results = {s["location"]: s["status"] for s in json.loads(run.read_text())["scenarios"]} \
            if run.is_file() else {}
    same = results == {s["location"]: s["status"] for s in serial}
    print(f"\n--jobs {jobs}: {len(results)} scenarios in {wall:.1f} s wall ({serial_wall / wall:.1f}x the serial "
          f"run), {'the same results' if same else 'DIFFERENT results'} (exit {done.returncode})")
    return same and done.returncode == 0


if __name__ == "__main__":
    sys.exit(main())
