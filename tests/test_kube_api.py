"""KubeApi: credentials from the kubeconfig are refreshed at most every 10 s, not before every request."""

from kubernetes.client import ApiClient, Configuration

from support.kube import api as kube_api


def test_the_credential_refresh_hook_runs_at_most_every_ten_seconds(monkeypatch):
    configuration = Configuration(host="https://127.0.0.1:1")
    refreshed = []
    configuration.refresh_api_key_hook = lambda config: refreshed.append(1)
    now = [1000.0]
    monkeypatch.setattr(kube_api.time, "monotonic", lambda: now[0])
    kube_api.KubeApi(ApiClient(configuration))
    for _ in range(5):
        configuration.refresh_api_key_hook(configuration)
    assert len(refreshed) == 1
    now[0] += kube_api.CREDENTIAL_REFRESH_SECONDS
    configuration.refresh_api_key_hook(configuration)
    assert len(refreshed) == 2
    kube_api.KubeApi(ApiClient(configuration))  # a second KubeApi on the same configuration does not wrap twice
    configuration.refresh_api_key_hook(configuration)
    assert len(refreshed) == 2


def test_a_hook_that_installs_itself_again_stays_throttled(monkeypatch):
    """The kubeconfig loader's hook re-applies the kubeconfig, which sets the hook again."""
    configuration = Configuration(host="https://127.0.0.1:1")
    refreshed = []

    def loader_hook(config):
        refreshed.append(1)
        config.refresh_api_key_hook = loader_hook

    configuration.refresh_api_key_hook = loader_hook
    now = [1000.0]
    monkeypatch.setattr(kube_api.time, "monotonic", lambda: now[0])
    kube_api.KubeApi(ApiClient(configuration))
    for _ in range(5):
        configuration.refresh_api_key_hook(configuration)
    assert len(refreshed) == 1, "refreshed again within 10 s: the re-installed hook escaped the throttle"
    now[0] += kube_api.CREDENTIAL_REFRESH_SECONDS
    for _ in range(5):
        configuration.refresh_api_key_hook(configuration)
    assert len(refreshed) == 2
