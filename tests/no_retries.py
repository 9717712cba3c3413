"""Run behave with API clients' retries switched off: `python tests/no_retries.py [--suite-only] [behave args]`.

The suite's and the operator's clients retry what a well-behaved client retries
(support/kube/retry.py). tests/test_chaos.py runs the correct model under
`-D chaos=errors` this way and sees it fail: the retries are what lets it pass.
With `--suite-only` the operator keeps its retries and only the suite's own
client goes without.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from behave.__main__ import main as behave_main  # noqa: E402
from kubernetes.client import ApiClient  # noqa: E402
from urllib3.util.retry import Retry  # noqa: E402

from support.kube import retry  # noqa: E402
from support.kube.api import KubeApi  # noqa: E402
from support.localcluster import controller  # noqa: E402


def _with_retries(api_client: ApiClient) -> KubeApi:
    """The operator's API client, rebuilt with the well-behaved retries."""
    configuration = api_client.configuration
    configuration.retries = retry.well_behaved()
    return KubeApi(ApiClient(configuration))


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--suite-only" in args:
        args.remove("--suite-only")
        controller.register(api_for=_with_retries)
    # no retry of any kind; an error answer reaches the caller as it is
    retry.use_policy(lambda: Retry(total=0, raise_on_status=False))
    sys.exit(behave_main(args))
