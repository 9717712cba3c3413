"""Mutation score of the pure model (support/reference/) against its unit and property tests: `make mutation`.

mutmut 3 (configured in pyproject.toml, [tool.mutmut]) writes every mutant of
support/reference/ into mutants/ and keeps each one's result there. This driver
runs it incrementally and module by module, at low priority:

- a mutant whose function did not change keeps its result (mutmut's own cache,
  keyed by a hash of the function), so a re-run tests only new or changed code;
- when the selected tests changed, the mutants that survived are tested again
  (a new test may kill them); the rest keep their result;
- mutants never checked run first, in a fixed random order and in batches of
  BATCH (one `nice mutmut run` each): an interrupted run resumes where it
  stopped, and what it checked is a random sample of the whole, not the first
  modules in file order (a full run takes hours on a shared 2-core machine).

Then it prints the score per module and overall (killed, timed out or caught /
all checked) with the share of mutants checked, writes every surviving mutant to docs/mutation-survivors.md (the
explanation of a survivor already listed there is kept; a new one is "open"),
and exits 1 below the bar (85 %) or while mutants are unchecked.

    python scripts/mutation.py [--jobs N] [--report-only]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
SOURCE = "support/reference"
SURVIVORS = ROOT / "docs" / "mutation-survivors.md"
TESTS_HASH = MUTANTS / "budspec-tests.sha256"
LOG = MUTANTS / "budspec-mutation.log"
BAR = 85.0
NICE = ["nice", "-n", "10"]

KILLED = {1, 3, 24, -24, 36, 37, 152, 255, -9, -11}  # killed, pytest internal error, timeouts, type check, crash
TIMED_OUT = {24, -24, 36}                             # counted as killed, as mutmut counts them; reported apart
SURVIVED = {0, 5, 33}                                 # survived, no tests
OPEN = "open: not killed or explained yet"
BATCH, SEED = 250, 11

GENERATE = """
import mutmut.__main__ as m
m.makedirs(m.Path("mutants"), exist_ok=True)
m.copy_src_dir(); m.copy_also_copy_files(); m.setup_source_paths(); m.create_mutants(1)
"""


@dataclass
class Module:
    path: str                      # support/reference/....py
    results: dict[str, int | None]  # mutant name -> mutmut exit code (None: not checked)

    @property
    def killed(self) -> int:
        return sum(1 for code in self.results.values() if code in KILLED)

    @property
    def timed_out(self) -> int:
        return sum(1 for code in self.results.values() if code in TIMED_OUT)

    @property
    def checked(self) -> int:
        return sum(1 for code in self.results.values() if code is not None)

    def survivors(self) -> list[str]:
        return sorted((n for n, code in self.results.items() if code in SURVIVED), key=_natural)

    def pending(self) -> list[str]:
        return sorted((n for n, code in self.results.items() if code is None), key=_natural)


def _natural(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def modules() -> list[Module]:
    found = []
    for meta in sorted((MUTANTS / SOURCE).rglob("*.py.meta")):
        results = json.loads(meta.read_text())["exit_code_by_key"]
        if results:
            found.append(Module(str(meta.relative_to(MUTANTS))[: -len(".meta")], results))
    return found


def _selected_tests_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        if path.name.startswith(("test_reference_", "test_properties_")):
            digest.update(path.name.encode() + path.read_bytes())
    digest.update((ROOT / "tests" / "conftest.py").read_bytes())
    return digest.hexdigest()


def _mutmut(*args: str) -> int:
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutation"}  # tests/conftest.py: fewer examples per mutant
    with LOG.open("a") as log:
        return subprocess.run([*NICE, mutmut, *args], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT).returncode


def _refresh_unmutated() -> None:
    """mutmut copies a file of support/ outside support/reference/ into mutants/ only when it is missing
    there, so a cache carried over from an older checkout would test against stale helpers: drop them."""
    for path in (MUTANTS / "support").glob("*"):
        if path.name != "reference":
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _batches(names: list[str]) -> list[list[str]]:
    shuffled = sorted(names, key=_natural)
    random.Random(SEED).shuffle(shuffled)
    return [shuffled[i:i + BATCH] for i in range(0, len(shuffled), BATCH)]


def run(jobs: int) -> None:
    MUTANTS.mkdir(exist_ok=True)
    _refresh_unmutated()
    subprocess.run([*NICE, sys.executable, "-c", GENERATE], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    tests_hash = _selected_tests_hash()
    retest_survivors = TESTS_HASH.exists() and TESTS_HASH.read_text() != tests_hash
    # mutants never checked first (they count most), then the survivors a new test may kill
    found = modules()
    batches = _batches([name for m in found for name in m.pending()])
    if retest_survivors:
        batches += _batches([name for m in found for name in m.survivors()])
    for number, names in enumerate(batches, 1):
        print(f"batch {number} of {len(batches)}: testing {len(names)} mutants ...", flush=True)
        code = _mutmut("run", "--max-children", str(jobs), *names)
        if code != 0:
            raise SystemExit(f"mutmut failed on batch {number} (exit {code}); see {LOG}")
    TESTS_HASH.write_text(tests_hash)


def _change(name: str, path: str) -> str:
    """The mutated line, `before` -> `after`, from mutmut's copy of the module."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # only with the mutation extra installed

    diff = get_diff_for_mutant(name, path=Path(path)).splitlines()
    removed = [line[1:].strip() for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++")]
    return f"`{' '.join(removed)}` -> `{' '.join(added)}`" if removed or added else "(no diff)"


_ENTRY = re.compile(r"^- `(?P<name>[^`]+)`: (?P<why>.*?)(?:  \| .*)?$")


def _explanations() -> dict[str, str]:
    if not SURVIVORS.exists():
        return {}
    return {m["name"]: m["why"] for line in SURVIVORS.read_text().splitlines() if (m := _ENTRY.match(line))}


def write_survivors(found: list[Module]) -> int:
    """Rewrite the survivors file; how many survivors are still open."""
    known = _explanations()
    lines = ["# Surviving mutants of support/reference/", "",
             "Written by `make mutation` (scripts/mutation.py). Each mutant the unit and property tests do not",
             "kill is listed with why: `equivalent: ...` (no test can tell it from the original) or",
             f"`{OPEN}`. Explanations are kept when the file is rewritten; a mutant that",
             "is killed leaves the list.", ""]
    still_open = 0
    for module in found:
        survivors = module.survivors()
        if not survivors:
            continue
        lines += [f"## {module.path}", ""]
        for name in survivors:
            why = known.get(name, OPEN)
            still_open += why == OPEN
            lines.append(f"- `{name}`: {why}  | {_change(name, module.path)}")
        lines.append("")
    SURVIVORS.write_text("\n".join(lines))
    return still_open


def report(found: list[Module]) -> float:
    width = max(len(m.path) for m in found)
    print(f"\n{'module':<{width}}  killed / checked   score  survivors")
    for module in found:
        score = 100.0 * module.killed / module.checked if module.checked else 0.0
        print(f"{module.path:<{width}}  {module.killed:>6} / {module.checked:<7}  {score:5.1f}%  {len(module.survivors())}")
    killed, checked = sum(m.killed for m in found), sum(m.checked for m in found)
    unchecked, timed_out = sum(len(m.pending()) for m in found), sum(m.timed_out for m in found)
    total = 100.0 * killed / checked if checked else 0.0
    share = 100.0 * checked / (checked + unchecked) if checked + unchecked else 0.0
    print(f"\nmutation score of {SOURCE}/: {total:.1f}% ({killed} of {checked} mutants killed, "
          f"{timed_out} of them by a timeout"
          + (f"; {unchecked} not checked yet: the score is of the {share:.0f}% checked" if unchecked else "")
          + f"); the bar is {BAR:.0f}%")
    return total if not unchecked else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                        help="mutants tested at once (default: half the cores)")
    parser.add_argument("--report-only", action="store_true", help="report the cached results, run nothing")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if not args.report_only:
        run(args.jobs)
    found = modules()
    if not found:
        print("no mutants yet: run without --report-only", file=sys.stderr)
        return 1
    score = report(found)
    still_open = write_survivors(found)
    print(f"survivors: {SURVIVORS.relative_to(ROOT)} ({sum(len(m.survivors()) for m in found)} listed, {still_open} open)")
    return 0 if score >= BAR else 1


if __name__ == "__main__":
    sys.exit(main())
