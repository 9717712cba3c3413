"""Run behave with one mutant applied: `python tests/mutants/run.py MUTANT [behave args...]`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from behave.__main__ import main as behave_main  # noqa: E402

from tests.mutants.catalog import MUTANTS  # noqa: E402

if __name__ == "__main__":
    MUTANTS[sys.argv[1]]()
    sys.exit(behave_main(sys.argv[2:]))
