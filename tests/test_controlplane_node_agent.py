"""The node agent's decisions: which pods it binds, runs or finishes deleting; pod phases; projected files."""

from __future__ import annotations

import threading

from hamcrest import assert_that, equal_to

from support.controlplane.node.agent import Agent
from support.controlplane.node.pods import PodRuntime


class FakeApi:
    def __init__(self):
        self.bound, self.deleted, self.tokens = [], [], []

    def bind(self, pod):
        self.bound.append(pod["metadata"]["name"])

    def delete_pod_now(self, pod):
        self.deleted.append(pod["metadata"]["name"])

    def service_account_token(self, pod, account, audience, seconds):
        self.tokens.append((account, audience, seconds))
        return "a-token"


class FakeStore:
    def get(self, kind, namespace, name):
        return {"data": {"ca.crt": "THE CA"}} if (kind, name) == ("ConfigMap", "kube-root-ca.crt") else None


def agent() -> Agent:
    made = Agent.__new__(Agent)
    made.node_name, made.api, made.store = "budspec-node", FakeApi(), FakeStore()
    made.pods, made._pods_lock, made._stop = {}, threading.Lock(), threading.Event()
    made._background = lambda target, *args: target(*args)  # synchronous, for the test
    return made


def pod(name, node=None, scheduler=None, deleting=False, phase=None):
    meta = {"name": name, "namespace": "ns", "uid": f"uid-{name}"}
    if deleting:
        meta["deletionTimestamp"], meta["deletionGracePeriodSeconds"] = "2026-01-01T00:00:00Z", 30
    spec = {"containers": [{"name": "c", "image": "python:3.11-slim"}]}
    if node:
        spec["nodeName"] = node
    if scheduler:
        spec["schedulerName"] = scheduler
    return {"metadata": meta, "spec": spec, "status": {"phase": phase} if phase else {}}


def test_it_binds_what_waits_for_the_default_scheduler_and_nothing_else():
    node = agent()
    node.handle("ADDED", pod("waiting"))
    node.handle("ADDED", pod("other-scheduler", scheduler="my-scheduler"))
    node.handle("ADDED", pod("elsewhere", node="another-node"))
    node.handle("ADDED", pod("going", deleting=True))
    assert_that(node.api.bound, equal_to(["waiting"]))


def test_a_pod_it_never_started_is_deleted_at_once_and_a_finished_one_is_not_started():
    node = agent()
    started = []
    node._start = lambda runtime: started.append(runtime.pod["metadata"]["name"])
    node.handle("MODIFIED", pod("never-ran", node="budspec-node", deleting=True))
    node.handle("ADDED", pod("done", node="budspec-node", phase="Succeeded"))
    node.handle("ADDED", pod("new", node="budspec-node"))
    assert_that(node.api.deleted, equal_to(["never-ran"]))
    assert_that(started, equal_to(["new"]))


def test_projected_volumes_carry_the_token_the_cluster_ca_and_the_namespace():
    node = agent()
    subject = pod("p", node="budspec-node")
    subject["spec"]["serviceAccountName"] = "budaiscaler-controller-manager"
    subject["spec"]["volumes"] = [{"name": "kube-api-access", "projected": {"sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}}]
    container = {"name": "c", "volumeMounts": [{"name": "kube-api-access",
                                                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}
    files = node.projected_files(subject, container)
    root = "/var/run/secrets/kubernetes.io/serviceaccount"
    assert_that(files, equal_to({f"{root}/token": "a-token", f"{root}/ca.crt": "THE CA", f"{root}/namespace": "ns"}))
    assert_that(node.api.tokens, equal_to([("budaiscaler-controller-manager", None, 3607)]))


def _status(state, restarts=0, code=None):
    body = {"terminated": {"exitCode": code}} if state == "terminated" else {state: {}}
    return {"state": body, "restartCount": restarts}


def test_the_pod_phase_follows_its_containers():
    phase = PodRuntime._phase
    assert_that(phase([_status("waiting")]), equal_to("Pending"))
    assert_that(phase([_status("running"), _status("waiting")]), equal_to("Running"))
    assert_that(phase([_status("waiting", restarts=2)]), equal_to("Running"))  # crash-looping, not pending
    assert_that(phase([_status("terminated", code=0)] * 2), equal_to("Succeeded"))
    assert_that(phase([_status("terminated", code=0), _status("terminated", code=1)]), equal_to("Failed"))


def test_a_stop_takes_the_pods_down_at_once_even_while_the_watch_is_quiet():
    """`down` kills an agent that has not ended after its grace period, which left containers running."""
    import time
    from support.controlplane.node.__main__ import serve

    node = agent()
    shut = threading.Event()
    node.run = lambda: threading.Event().wait()  # a watch with no event to wake it, ever
    node.shut_down = shut.set
    threading.Timer(0.2, node.stop).start()
    started = time.monotonic()
    assert_that(serve(node), equal_to(None))
    assert shut.is_set(), "the pods were not stopped"
    assert time.monotonic() - started < 3, "the stop waited for the watch"
    node.handle("ADDED", pod("late", node="budspec-node"))
    assert_that(node.pods, equal_to({}))  # a pod seen after the stop is not started
