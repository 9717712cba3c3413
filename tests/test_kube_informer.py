"""The shared Informer against the embedded cluster's API server: list + watch, resume from the last
resourceVersion, 410 Gone -> list again (telling handlers what changed meanwhile), and the settle
protocol that keeps virtual time still while an event is in flight."""

import threading

import kubernetes
import pytest
from conftest import wait_until

from support.kube.api import CONFIGMAP, KubeApi
from support.kube.informer import Informer
from support.localcluster import LocalCluster

NAMESPACE = "informer-test"


@pytest.fixture(scope="module")
def small_history_cluster():
    with LocalCluster(run_controller=False, watch_history=5) as running:
        yield running


@pytest.fixture
def api(small_history_cluster):
    client = kubernetes.config.new_client_from_config(config_file=str(small_history_cluster.kubeconfig_path))
    api = KubeApi(client)
    if api.get_or_none(kubernetes_namespace(), None, NAMESPACE) is None:
        api.request("POST", "/api/v1/namespaces", body={"metadata": {"name": NAMESPACE}})
    yield api
    client.close()


def kubernetes_namespace():
    from support.kube.api import Kind
    return Kind("", "v1", "namespaces", "Namespace", namespaced=False)


def configmap(name, value):
    return {"metadata": {"name": name}, "data": {"v": value}}


def test_the_cache_follows_creates_updates_and_deletes_through_the_watch(api, small_history_cluster):
    clock = small_history_cluster.clock
    seen = []
    informer = Informer(api, CONFIGMAP, clock, namespace=NAMESPACE, name="test-cm")
    informer.add_handler(lambda event, obj, before: seen.append((event, obj["metadata"]["name"])))
    informer.start()
    try:
        api.create(CONFIGMAP, NAMESPACE, configmap("a", "1"))
        api.patch(CONFIGMAP, NAMESPACE, "a", {"data": {"v": "2"}})
        api.create(CONFIGMAP, NAMESPACE, configmap("b", "1"))
        api.delete(CONFIGMAP, NAMESPACE, "b")
        clock.settle()  # every event sent on the stream has been handled
        assert seen == [("ADDED", "a"), ("MODIFIED", "a"), ("ADDED", "b"), ("DELETED", "b")]
        assert informer.get(NAMESPACE, "a")["data"] == {"v": "2"}
        assert informer.get(NAMESPACE, "b") is None
    finally:
        informer.stop()
        api.delete(CONFIGMAP, NAMESPACE, "a")


def test_a_version_too_old_to_resume_from_lists_again_and_reports_the_differences(api, small_history_cluster):
    clock = small_history_cluster.clock
    api.create(CONFIGMAP, NAMESPACE, configmap("kept", "1"))
    api.create(CONFIGMAP, NAMESPACE, configmap("gone", "1"))
    stale = Informer(api, CONFIGMAP, clock, namespace=NAMESPACE, name="test-stale")
    stale._relist(notify=False)  # the state of an informer whose stream broke here
    api.patch(CONFIGMAP, NAMESPACE, "kept", {"data": {"v": "2"}})
    api.delete(CONFIGMAP, NAMESPACE, "gone")
    for i in range(8):  # more changes than the server keeps (5): the old version is gone
        api.create(CONFIGMAP, NAMESPACE, configmap(f"filler-{i}", "x"))
    seen = []
    stale.add_handler(lambda event, obj, before: seen.append((event, obj["metadata"]["name"])))
    stale._thread = threading.Thread(target=stale._run, daemon=True)  # resume watching from the stale version
    stale._thread.start()
    try:
        wait_until(lambda: clock.settle() or ("DELETED", "gone") in seen, 10, "the informer to list again after 410")
        assert ("MODIFIED", "kept") in seen and ("DELETED", "gone") in seen, seen
        assert ("ADDED", "filler-7") in seen
        assert stale.get(NAMESPACE, "kept")["data"] == {"v": "2"}
    finally:
        stale.stop()
        for name in ["kept"] + [f"filler-{i}" for i in range(8)]:
            api.delete(CONFIGMAP, NAMESPACE, name)
