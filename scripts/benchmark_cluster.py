#!/usr/bin/env python3
"""Real-time wall of @scaling on the project's real control plane, against the old shell suite.

    python scripts/benchmark_cluster.py [--jobs N] [--tags EXPR]     (make bench-cluster)

Starts the control plane if it is not running (`make controlplane`), runs the scenarios as the
suite's non-admin identity, in real time, N at a time (the parallel runner,
`python -m support run --jobs N`), and prints the wall time beside the old
`scaling-test.sh run` (~4-5 minutes, for fewer and weaker checks).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from support.controlplane import plane  # noqa: E402  (after the path: run as a script)

OLD_SUITE = ("scaling-test.sh run", 4 * 60, 5 * 60)


def command(jobs: int, tags: str, kubeconfig: Path) -> list[str]:
    return [sys.executable, "-m", "support", "run", "--jobs", str(jobs), "-D", "target=cluster",
            "-D", f"kubeconfig={kubeconfig}", "-D", "restart_controller=yes", "--tags", tags]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8, help="scenarios at a time")
    parser.add_argument("--tags", default="@scaling", help="behave tag expression (default: @scaling)")
    args = parser.parse_args(argv)
    state = plane.up(log=lambda line: print(line, flush=True))
    print(f"running {args.tags} on {state.server} in real time, {args.jobs} at a time", flush=True)
    started = time.monotonic()
    done = subprocess.run(command(args.jobs, args.tags, state.suite_kubeconfig), cwd=ROOT)
    wall = time.monotonic() - started
    name, low, high = OLD_SUITE
    print(f"\n{args.tags} on the real control plane: {wall / 60:.1f} min wall "
          f"({'passed' if done.returncode == 0 else 'FAILED, exit %d' % done.returncode}); "
          f"old suite `{name}`: {low // 60}-{high // 60} min")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
