"""A broken import of the controller fails the run at start, with its traceback (issue 11 item 1).

Not as a 60 s "no ready controller pod" timeout: the embedded cluster imports
the controller image's runner when it starts, so the error surfaces at once.
"""

import subprocess
import sys
import time

from conftest import ROOT, clean_env

BREAK_THE_OPERATOR = """
import sys, importlib.abc
class Broken(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "support.operator.reconciler":
            raise ImportError("simulated: the reconciler does not import")
sys.meta_path.insert(0, Broken())
from behave.__main__ import main
sys.exit(main(["features/scaling.feature", "-n", "becomes Ready", "--no-junit", "-f", "plain"]))
"""


def test_a_broken_operator_import_fails_the_run_at_start_with_its_traceback(tmp_path):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", BREAK_THE_OPERATOR], cwd=ROOT, env=clean_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode != 0, f"the run should fail:\n{output}"
    assert "simulated: the reconciler does not import" in output, output
    assert "Traceback" in output, f"the import error should come with its traceback:\n{output}"
    assert elapsed < 60, f"the run should fail at start, not after a wait ({elapsed:.0f} s)"
