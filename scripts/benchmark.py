#!/usr/bin/env python3
"""Wall time of each capability's spec on the embedded cluster, against the old shell suite.

One run, ratios in one table: `python scripts/benchmark.py [--repeat N]`. The old
suite's figures are its own README's (and the catalogue's measured wall times).
Each behave run is a fresh process, so start-up (embedded cluster, controller) counts.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# capability -> (behave selection, old script, old wall time in seconds as its README states it)
CAPABILITIES = {
    "scaling": (["features/scaling.feature"], "scaling-test.sh run", 3 * 60),
    "learning": (["--tags=@learning"], "learning-test.sh run", 5 * 60),
    "accuracy (quick)": (["--tags=@accuracy and @quick"], "accuracy-test.sh run --quick", 8 * 60),
    "accuracy (full)": (["--tags=@accuracy and @full"], "accuracy-test.sh run --full", 15 * 60),
    "prediction": (["--tags=@prediction"], "(no old script)", None),
}


def time_run(selection: list[str]) -> tuple[float, bool, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "behave", *selection, "-f", "progress", "--no-junit"],
                          cwd=ROOT, capture_output=True, text=True)
    summary = next((line for line in done.stdout.splitlines() if re.match(r"\d+ scenarios? passed", line)),
                   "no scenarios")
    return time.perf_counter() - started, done.returncode == 0, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per capability (median is reported)")
    parser.add_argument("--only", help="one capability name")
    args = parser.parse_args()
    print(f"{'capability':<18} {'wall (s)':>9} {'old suite':>11} {'speed-up':>9}  result")
    failed = False
    for name, (selection, old_script, old_seconds) in CAPABILITIES.items():
        if args.only and args.only != name:
            continue
        runs = [time_run(selection) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        ok = all(r[1] for r in runs)
        failed |= not ok
        old = f"{old_seconds:>9.0f} s" if old_seconds else f"{'-':>11}"
        ratio = f"{old_seconds / wall:>8.0f}x" if old_seconds else f"{'-':>9}"
        print(f"{name:<18} {wall:>9.1f} {old} {ratio}  {'ok' if ok else 'FAILED'}: {runs[-1][2]}  [{old_script}]")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
