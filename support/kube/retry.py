"""What a well-behaved Kubernetes client retries, for every API client of the suite and the operator.

- 429 Too Many Requests carrying Retry-After, on any verb: the server did not act and says when to
  come back (urllib3 sleeps the Retry-After seconds);
- 5xx on reads (GET, HEAD): reading again changes nothing; a write that answered 5xx may have
  happened, so it is not repeated blindly: the caller sees the error;
- connection errors as urllib3 retries them by default.

409 Conflict is not retried here: only the caller can re-read the object and apply its change
to the new version (the operator's status writes do; `kubernetes.utils.retry.retry_on_conflict`).
"""

from __future__ import annotations

from typing import Callable

from kubernetes import config as k8s_config
from kubernetes.client import ApiClient, Configuration
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

READS = frozenset({"GET", "HEAD"})
ATTEMPTS = 5


class WellBehavedRetry(Retry):
    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429:
            return has_retry_after
        return status_code >= 500 and method.upper() in READS

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        # A proxied answer (pods/proxy, services/proxy) is the pod's, not the API server's: a scrape
        # that failed must reach the caller at once, as BudAIScaler's own HTTP scrape sees it. Retried,
        # a failing metrics endpoint or a pod not yet listening cost 1.5 s of real time per read.
        if response is not None and url and _is_proxied(url):
            raise MaxRetryError(_pool, url, ResponseError(f"not retried: a proxied answer ({response.status})"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _is_proxied(url: str) -> bool:
    path = url.split("?", 1)[0]
    return "/proxy/" in path or path.endswith("/proxy")


def well_behaved() -> Retry:
    # raise_on_status=False: when the attempts are spent the last answer reaches the caller as it is
    return WellBehavedRetry(total=ATTEMPTS, status=ATTEMPTS, backoff_factor=0.05, respect_retry_after_header=True,
                            raise_on_status=False)


_policy: Callable[[], Retry] = well_behaved


def use_policy(policy: Callable[[], Retry]) -> None:
    """The retry policy of every client made from now on. Only tests/no_retries.py changes it, to show
    that without the retries above the spec fails under `-D chaos=errors` (the retries matter)."""
    global _policy
    _policy = policy


def retrying(configuration: Configuration) -> Configuration:
    configuration.retries = _policy()
    return configuration


def client_from_kubeconfig(config_file: str | None, context: str | None = None) -> ApiClient:
    """`kubernetes.config.new_client_from_config`, with the retries above."""
    configuration = Configuration()
    k8s_config.load_kube_config(config_file=config_file, context=context, client_configuration=configuration,
                                persist_config=False)
    return ApiClient(configuration=retrying(configuration))
