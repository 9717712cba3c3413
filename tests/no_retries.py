"""Run behave with every API client's retries switched off: `python tests/no_retries.py [behave args]`.

The suite's and the operator's clients retry what a well-behaved client retries
(support/kube/retry.py). tests/test_chaos.py runs the correct model under
`-D chaos=errors` this way and sees it fail: the retries are what lets it pass.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from behave.__main__ import main as behave_main  # noqa: E402
from urllib3.util.retry import Retry  # noqa: E402

from support.kube import retry  # noqa: E402

if __name__ == "__main__":
    # no retry of any kind; an error answer reaches the caller as it is
    retry.use_policy(lambda: Retry(total=0, raise_on_status=False))
    sys.exit(behave_main(sys.argv[1:]))
