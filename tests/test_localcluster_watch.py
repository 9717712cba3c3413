"""`watch=true` on the embedded API server, through the official client's `watch.Watch().stream`
and kubectl: BudAIScalers, pods and deployments, resume from a resourceVersion, 410 Gone after the
history window, bookmarks, selectors, timeouts, Table output and the settle accounting."""

from __future__ import annotations

import json
import os
import queue
import shutil
import ssl
import subprocess
import threading
import time

import httpx
import kubernetes
import pytest
from kubernetes import watch
from kubernetes.client import ApiException

from support.clock import SETTLE_HEADER
from support.localcluster import LocalCluster

GROUP, VERSION, PLURAL = "scaler.bud.studio", "v1alpha1", "budaiscalers"
WAIT = 10.0  # real seconds a test waits for an event before it fails
SERVICE = {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}}  # a write the configmap watches do not see


@pytest.fixture
def ns(fresh_namespace):
    return fresh_namespace("watch-test")


class Watching:
    """`watch.Watch().stream(...)` on a thread; events arrive in a queue the test reads with a deadline."""

    def __init__(self, func, *args, **kwargs):
        self.watch = watch.Watch()
        self.events: queue.Queue = queue.Queue()
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(func, args, kwargs), daemon=True)
        self._thread.start()

    def _run(self, func, args, kwargs) -> None:
        try:
            for event in self.watch.stream(func, *args, **kwargs):
                self.events.put(event)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            self.error = error
        finally:
            self.done.set()

    def next(self, what: str) -> dict:
        try:
            return self.events.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no watch event within {WAIT:g}s while waiting for {what}"
                                 + (f" (the stream failed: {self.error!r})" if self.error else "")) from None

    def until(self, wanted, what: str) -> dict:
        """The first event `wanted(event)` accepts (each event must come within WAIT)."""
        while not wanted(event := self.next(what)):
            pass
        return event

    def take(self, count: int, what: str) -> list[tuple[str, str]]:
        """The next `count` events as (type, name)."""
        return [_type_and_name(self.next(what)) for _ in range(count)]

    def quiet(self) -> bool:
        """No event is waiting now (checked after the writes the test made have returned)."""
        return self.events.empty()

    def stop(self) -> None:
        self.watch.stop()
        self.done.wait(WAIT)


def _type_and_name(event: dict) -> tuple[str, str]:
    raw = event["raw_object"]
    return event["type"], (raw.get("metadata") or {}).get("name", "")


def listed_version(func, *args, **kwargs) -> str:
    """The resourceVersion a list is current at: a watch from it misses nothing written afterwards,
    however late its request reaches the server (a list, then a watch from its version)."""
    selectors = {k: v for k, v in kwargs.items() if k in ("label_selector", "field_selector")}
    listed = func(*args, **selectors)
    return listed["metadata"]["resourceVersion"] if isinstance(listed, dict) else listed.metadata.resource_version


@pytest.fixture
def watching():
    """watching(list_func, ...) -> a Watching from the current resourceVersion (pass resource_version=None
    to start from the current state instead: its objects come first, as ADDED)."""
    started: list[Watching] = []

    def start(func, *args, **kwargs) -> Watching:
        if "resource_version" not in kwargs:
            kwargs["resource_version"] = listed_version(func, *args, **kwargs)
        elif kwargs["resource_version"] is None:
            del kwargs["resource_version"]
        started.append(Watching(func, *args, **kwargs))
        return started[-1]

    yield start
    for stream in started:
        stream.stop()


def scaler(name: str, max_replicas: int = 5) -> dict:
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "BudAIScaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm"},
                     "maxReplicas": max_replicas,
                     "metricsSources": [{"metricSourceType": "pod", "targetMetric": "gpu_cache_usage_perc",
                                         "targetValue": "70"}]}}


def deployment(name: str, replicas: int = 1) -> dict:
    labels = {"app": name}
    return {"metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "example.invalid/app:1"}]}}}}


# -- the three kinds the suite and the operator watch -------------------------------------------

def test_budaiscalers_stream_added_modified_deleted(custom, ns, watching):
    custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, scaler("before"))
    stream = watching(custom.list_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, resource_version=None)
    assert stream.take(1, "the existing scaler") == [("ADDED", "before")]

    custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, scaler("s"))
    custom.patch_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "s", {"spec": {"maxReplicas": 8}})
    custom.delete_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "s")
    events = [stream.next("the scaler's changes") for _ in range(3)]
    assert [_type_and_name(e) for e in events] == [("ADDED", "s"), ("MODIFIED", "s"), ("DELETED", "s")]
    assert events[1]["raw_object"]["spec"]["maxReplicas"] == 8
    versions = [int(e["raw_object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions) and len(set(versions)) == 3


def test_pods_and_deployments_stream_what_the_cluster_does(cluster, core, apps, ns, watching):
    pods = watching(core.list_namespaced_pod, ns)
    deployments = watching(apps.list_namespaced_deployment, ns)
    apps.create_namespaced_deployment(ns, deployment("web", replicas=2))
    assert deployments.next("the new deployment")["type"] == "ADDED"
    added = pods.take(2, "two pods of the deployment")
    assert [t for t, _ in added] == ["ADDED", "ADDED"] and all(n.startswith("web-") for _, n in added)

    apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 1}})
    scaled = deployments.until(lambda e: e["raw_object"]["spec"]["replicas"] == 1, "the scale change")
    assert scaled["type"] == "MODIFIED"
    deleted = pods.until(lambda e: e["type"] == "DELETED", "a pod deleted by the scale-down")
    assert deleted["raw_object"]["metadata"]["name"] in [name for _, name in added]


def test_resume_from_a_resource_version_sends_exactly_the_later_changes(core, ns, watching):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "old"}})
    listed = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, {"metadata": {"name": "new"}})
    core.patch_namespaced_config_map("old", ns, {"data": {"k": "v"}})
    stream = watching(core.list_namespaced_config_map, ns, resource_version=listed)
    assert stream.take(2, "the changes after the listed version") == [("ADDED", "new"), ("MODIFIED", "old")]
    assert stream.quiet(), "nothing from before the listed version is sent again"


def test_a_version_older_than_the_history_window_is_410_gone(tmp_path):
    with LocalCluster(run_controller=False, watch_history=3, workdir=tmp_path) as small:
        api = kubernetes.config.new_client_from_config(config_file=str(small.kubeconfig_path))
        core = kubernetes.client.CoreV1Api(api)
        core.create_namespace({"metadata": {"name": "w"}})
        first = core.create_namespaced_config_map("w", {"metadata": {"name": "c0"}}).metadata.resource_version
        for number in range(1, 6):
            core.create_namespaced_config_map("w", {"metadata": {"name": f"c{number}"}})
        with pytest.raises(ApiException) as error:
            next(iter(watch.Watch().stream(core.list_namespaced_config_map, "w", resource_version=first)))
        assert error.value.status == 410 and "Expired: too old resource version" in error.value.reason

        reply = _raw_watch(small, "/api/v1/namespaces/w/configmaps", 1, resourceVersion=first)
        assert reply == [{"type": "ERROR", "object": {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Expired",
            "code": 410, "message": reply[0]["object"]["message"]}}]
        api.close()


def _raw_watch(cluster: LocalCluster, path: str, count: int, accept: str = "application/json",
               **params: str) -> list[dict]:
    """The first `count` events of a watch, read over plain HTTP."""
    with _http(cluster, Accept=accept) as client:
        with client.stream("GET", path, params={"watch": "true", **params}) as reply:
            assert reply.status_code == 200, reply.read()
            lines = reply.iter_lines()
            return [json.loads(next(lines)) for _ in range(count)]


def _http(cluster: LocalCluster, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=cluster.server_url, timeout=WAIT,
                        verify=ssl.create_default_context(cafile=str(cluster.ca_path)),
                        headers={"Authorization": f"Bearer {cluster.token}", **headers})


# -- bookmarks, selectors, timeouts, start options ---------------------------------------------------

def _bookmarked(cluster, core, ns, watching):
    """A configmap watch with bookmarks that saw its configmap, then a minute in which a write it does not
    see (a Service) moved the cluster's resourceVersion: (the stream, that minute's bookmark, the version)."""
    stream = watching(core.list_namespaced_config_map, ns, allow_watch_bookmarks=True)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}})
    assert stream.take(1, "the configmap") == [("ADDED", "c")]
    unseen = core.create_namespaced_service(ns, SERVICE).metadata.resource_version
    cluster.clock.advance(61)
    return stream, stream.next("a bookmark after a minute of cluster time in which the resourceVersion moved"), unseen


def test_bookmarks_carry_the_current_resource_version(cluster, core, ns, watching):
    stream, bookmark, unseen = _bookmarked(cluster, core, ns, watching)
    assert bookmark["type"] == "BOOKMARK"
    assert int(bookmark["raw_object"]["metadata"]["resourceVersion"]) >= int(unseen), \
        "the bookmark does not carry the version a write of another kind moved the cluster to"
    assert stream.watch.resource_version == bookmark["raw_object"]["metadata"]["resourceVersion"]


def test_no_bookmark_repeats_what_the_client_knows(cluster, core, ns, watching):
    stream, bookmark, _ = _bookmarked(cluster, core, ns, watching)
    assert bookmark["type"] == "BOOKMARK"
    cluster.clock.advance(600)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "d"}})
    assert stream.take(1, "the second configmap") == [("ADDED", "d")], \
        "ten minutes in which nothing was written brought a bookmark of a version the client had"


def test_no_bookmarks_unless_asked(cluster, core, ns, watching):
    stream = watching(core.list_namespaced_config_map, ns)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "first"}})
    stream.take(1, "the first configmap")
    cluster.clock.advance(61)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "second"}})
    assert stream.take(1, "the second configmap") == [("ADDED", "second")], "no bookmark came in between"


def test_label_selector_turns_leaving_and_entering_into_deleted_and_added(core, ns, watching):
    stream = watching(core.list_namespaced_config_map, ns, label_selector="tier=web")
    core.create_namespaced_config_map(ns, {"metadata": {"name": "other", "labels": {"tier": "db"}}})
    core.create_namespaced_config_map(ns, {"metadata": {"name": "c", "labels": {"tier": "web"}}})
    core.patch_namespaced_config_map("c", ns, {"metadata": {"labels": {"tier": "db"}}})
    core.patch_namespaced_config_map("c", ns, {"metadata": {"labels": {"tier": "web"}}})
    events = [stream.next("the selected configmap's changes") for _ in range(3)]
    assert [_type_and_name(e) for e in events] == [("ADDED", "c"), ("DELETED", "c"), ("ADDED", "c")]
    assert events[1]["raw_object"]["metadata"]["labels"] == {"tier": "web"}, "DELETED carries the last matching state"


def test_field_selector_watches_one_object(core, ns, watching):
    stream = watching(core.list_namespaced_config_map, ns, field_selector="metadata.name=wanted")
    core.create_namespaced_config_map(ns, {"metadata": {"name": "unwanted"}})
    core.create_namespaced_config_map(ns, {"metadata": {"name": "wanted"}})
    assert stream.take(1, "the named configmap") == [("ADDED", "wanted")]


def test_timeout_seconds_ends_the_stream_on_the_cluster_clock(cluster, core, ns):
    stream = Watching(core.list_namespaced_config_map, ns, timeout_seconds=30,
                      resource_version=listed_version(core.list_namespaced_config_map, ns))
    core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}})
    stream.take(1, "the configmap")
    assert not stream.done.wait(0.2), "the stream is open before 30 s of cluster time pass"
    cluster.clock.advance(30)
    assert stream.done.wait(WAIT), "timeoutSeconds ends the stream"
    assert stream.error is None


def test_send_initial_events_ends_with_a_marked_bookmark(cluster, ns, core):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}})
    events = _raw_watch(cluster, f"/api/v1/namespaces/{ns}/configmaps", 2, sendInitialEvents="true",
                        allowWatchBookmarks="true", resourceVersionMatch="NotOlderThan")
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_bad_watch_parameters_are_400(cluster, ns):
    with _http(cluster) as client:
        reply = client.get(f"/api/v1/namespaces/{ns}/configmaps", params={"watch": "true", "resourceVersion": "x"})
        assert reply.status_code == 400 and "invalid resource version" in reply.json()["message"]


def test_stopping_the_server_ends_its_streams(tmp_path):
    with LocalCluster(run_controller=False, workdir=tmp_path) as short_lived:
        api = kubernetes.config.new_client_from_config(config_file=str(short_lived.kubeconfig_path))
        stream = Watching(kubernetes.client.CoreV1Api(api).list_namespace)
        stream.take(4, "the system namespaces")
    assert stream.done.wait(WAIT), "the stream ended with the server"
    api.close()


# -- Table output and kubectl ----------------------------------------------------------------------

def test_table_watch_sends_one_row_per_event(cluster, core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}, "data": {"a": "1"}})
    (event,) = _raw_watch(cluster, f"/api/v1/namespaces/{ns}/configmaps", 1,
                          accept="application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
    assert event["type"] == "ADDED" and event["object"]["kind"] == "Table"
    assert [c["name"] for c in event["object"]["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert event["object"]["rows"][0]["cells"][:2] == ["c", 1]


@pytest.mark.skipif(shutil.which("kubectl") is None and not os.environ.get("CI"), reason="kubectl is not on PATH")
def test_kubectl_get_pods_watch_shows_a_change(cluster, core, ns, tmp_path):
    core.create_namespaced_pod(ns, _pod("first"))
    out = tmp_path / "kubectl.out"
    with open(out, "w") as sink:
        kubectl = subprocess.Popen(["kubectl", "--kubeconfig", str(cluster.kubeconfig_path), "get", "pods", "-w",
                                    "-n", ns], stdout=sink, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_text(out, "first", kubectl)
        core.create_namespaced_pod(ns, _pod("second"))
        _wait_for_text(out, "second", kubectl)
    finally:
        kubectl.terminate()
        kubectl.wait(WAIT)
    lines = out.read_text().splitlines()
    assert lines[0].split()[:3] == ["NAME", "READY", "STATUS"], lines
    assert any(line.split()[:3] == ["second", "0/1", "Pending"] for line in lines[1:]), lines


def _pod(name: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "example.invalid/app:1"}]}}


def _wait_for_text(path, text: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT
    while text not in path.read_text():
        assert process.poll() is None, f"kubectl exited: {path.read_text()}"
        assert time.monotonic() < deadline, f"kubectl did not show {text!r} within {WAIT:g}s: {path.read_text()}"
        time.sleep(0.05)


# -- the settle protocol ---------------------------------------------------------------------------

def test_settle_header_counts_each_event_before_the_write_returns(cluster, core, ns):
    feed = f"feed-{ns}"
    with _http(cluster, **{SETTLE_HEADER: feed}) as client:
        with client.stream("GET", f"/api/v1/namespaces/{ns}/configmaps", params={"watch": "true"}) as reply:
            lines = reply.iter_lines()
            core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}})
            assert cluster.clock.unsettled() == {feed: (1, 0)}, "counted as soon as the write returned"
            assert json.loads(next(lines))["type"] == "ADDED"
            cluster.clock.feed_handled(feed)
            assert cluster.clock.unsettled() == {}
            core.create_namespaced_config_map(ns, {"metadata": {"name": "d"}})
            assert cluster.clock.unsettled() == {feed: (2, 1)}
    deadline = time.monotonic() + WAIT
    while cluster.clock.unsettled() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server notices the closed stream and closes the feed
    assert cluster.clock.unsettled() == {}, "a stream that ended no longer holds the clock"
