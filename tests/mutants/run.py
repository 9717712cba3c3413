"""Run behave with one mutant as the embedded cluster's controller: `python tests/mutants/run.py MUTANT [behave args]`.

The mutant is another build of the controller image (support/localcluster/controller.py):
the same operator, with the mutant's behaviour and API client; or another build of an
emulated image (support/localcluster/node/images.py), e.g. a simulator that hides its queue.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from behave.__main__ import main as behave_main  # noqa: E402

from support.localcluster import controller  # noqa: E402
from support.localcluster.node import images  # noqa: E402
from support.operator import behaviour_named  # noqa: E402
from tests.mutants.catalog import MUTANTS  # noqa: E402

if __name__ == "__main__":
    mutant = MUTANTS[sys.argv[1]]
    controller.register(behaviour_for=lambda model: mutant.behaviour(behaviour_named(model)), api_for=mutant.api)
    for prefix, runner in mutant.images:
        images.register_build(prefix, runner)
    sys.exit(behave_main(sys.argv[2:]))
