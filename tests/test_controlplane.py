"""The real control plane (issue 7 items 1-2): built from Go modules, started on loopback with
generated certificates and RBAC, a node agent that runs the suite's workloads.

Skipped only where the binaries cannot be built (no Go) or the node cannot make network
namespaces (not root); under CI neither is a reason to skip. A control plane that already
runs (`make controlplane`) is used and left running; otherwise one is started and removed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import yaml
from hamcrest import assert_that, contains_string, equal_to, has_item, is_not, starts_with
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from support import manifests
from support.cluster import ApplyError, connect, is_ready
from support.controlplane import binaries, network, plane
from support.mockctl import MockDriver, Workload
from netns_fixtures import netns_usable

pytestmark = pytest.mark.skipif(
    not os.environ.get("CI") and (shutil.which("go") is None or not netns_usable()),
    reason="needs Go 1.26+ (to build the control plane) and root with `ip netns`; CI has both")


@pytest.fixture(scope="module")
def control_plane():
    state = plane.State.load(plane.state_dir())
    if state is not None and state.running():
        yield state
        return
    if (other := plane.other_control_plane(plane.state_dir())) and not os.environ.get("CI"):
        pytest.skip(f"another control plane runs here, from {other} (one per machine): "
                    f"BUDSPEC_CONTROLPLANE_DIR={other} tests against it")
    state = plane.up(log=lambda *_: None)
    try:
        yield state
    finally:
        plane.down(log=lambda *_: None)


@pytest.fixture(scope="module")
def admin(control_plane):
    api = k8s_config.new_client_from_config(config_file=str(control_plane.admin_kubeconfig), persist_config=False)
    yield k8s.CoreV1Api(api)
    api.close()


@pytest.fixture
def suite_namespace(control_plane, admin):
    """A namespace the suite's own (non-admin) identity creates, as the spec does, deleted after."""
    cluster = connect(str(control_plane.suite_kubeconfig))
    name = f"budspec-cp-{os.urandom(3).hex()}"
    assert cluster.create_namespace(name, {"app.kubernetes.io/managed-by": "budaiscaler-spec"})
    yield cluster, name
    cluster.delete_namespace(name)
    cluster.close()


def _wait(probe, within: float, what: str):
    deadline, last = time.monotonic() + within, None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 - kept for the failure message
            last = error
        time.sleep(0.25)
    raise AssertionError(f"timed out after {within:.0f} s waiting for {what}; last error: {last}")


def test_the_binaries_carry_the_pinned_kubernetes_version(control_plane, admin):
    version = k8s.VersionApi(admin.api_client).get_code()
    assert_that(version.git_version, equal_to(binaries.kubernetes_version()))


def test_the_suite_identity_is_bound_only_to_its_cluster_role(control_plane):
    cluster = connect(str(control_plane.suite_kubeconfig))
    try:
        with pytest.raises(ApiException) as denied:
            k8s.CoreV1Api(cluster.api_client).list_namespaced_secret("kube-system")
        assert_that(denied.value.status, equal_to(403))
        review = k8s.AuthorizationV1Api(cluster.api_client).create_self_subject_rules_review(
            {"spec": {"namespace": "default"}})
        verbs = {(group, resource): set(rule.verbs) for rule in review.status.resource_rules
                 for group in rule.api_groups or [""] for resource in rule.resources or []}
        assert_that(verbs.get(("", "pods/proxy"), set()), has_item("get"))
        wildcards = sorted(f"{group}/{resource}" for (group, resource), granted in verbs.items() if "*" in granted)
        assert_that(wildcards, equal_to([]), "resources the suite may do anything with")
    finally:
        cluster.close()


def test_the_node_is_ready_and_keeps_its_lease(control_plane, admin):
    node = admin.read_node(plane.NODE_NAME)
    ready = next(c for c in node.status.conditions if c.type == "Ready")
    assert_that(ready.status, equal_to("True"))
    assert_that([a.address for a in node.status.addresses], has_item(str(network.NODE_IP)))
    coordination = k8s.CoordinationV1Api(admin.api_client)
    first = coordination.read_namespaced_lease(plane.NODE_NAME, "kube-node-lease").spec.renew_time
    _wait(lambda: coordination.read_namespaced_lease(plane.NODE_NAME, "kube-node-lease").spec.renew_time > first,
          30, "the node agent to renew its Lease")


def test_a_pod_without_a_restricted_security_context_is_refused(suite_namespace):
    cluster, namespace = suite_namespace
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "loose", "namespace": namespace},
           "spec": {"containers": [{"name": "c", "image": "python:3.11-slim"}]}}
    with pytest.raises(ApiException) as refused:
        k8s.CoreV1Api(cluster.api_client).create_namespaced_pod(namespace, pod)
    assert_that(refused.value.status, equal_to(403))
    message = json.loads(refused.value.body)["message"]
    assert_that(message, contains_string('violates PodSecurity "restricted:latest"'))


def test_the_mock_workload_runs_is_proxied_logs_and_stops_gracefully(suite_namespace):
    cluster, namespace = suite_namespace
    cluster.apply(manifests.load_manifests("simulator", namespace=namespace))

    def ready_pod():
        pods = [p for p in cluster.workload_pods(namespace, "llm-inference-sim") if is_ready(p)]
        return pods[0] if pods else None

    pod = _wait(ready_pod, 120, "a Ready llm-inference-sim pod")
    address = pod["status"]["podIP"]
    assert network.is_proxyable(address), f"pod address {address} is not one kube-apiserver proxies to"
    assert_that(address, starts_with("198.18."))
    name = pod["metadata"]["name"]
    core = k8s.CoreV1Api(cluster.api_client)
    metrics = core.connect_get_namespaced_pod_proxy_with_path(f"{name}:9000", namespace, "metrics")
    assert_that(metrics, contains_string("vllm:gpu_cache_usage_perc"))
    log = cluster.pod_log(namespace, name, "metrics-sidecar")
    assert_that(log, contains_string(f"serving /app/vllm_sidecar.py on {address}:9000"))

    started = time.monotonic()
    cluster.delete_pod(namespace, name)
    _wait(lambda: name not in {p["metadata"]["name"] for p in cluster.pods(namespace)}, 30,
          f"pod {name} to stop and be deleted")
    assert time.monotonic() - started < 15, "the pod waited out its grace period: its programs ignore SIGTERM"
    replacement = _wait(ready_pod, 120, "the ReplicaSet's replacement pod to be Ready")
    assert_that(replacement["metadata"]["name"], is_not(equal_to(name)))


MOCK_WORKLOADS = sorted(path.stem for path in manifests.MOCKS_DIR.glob("*.yaml"))


def test_the_mock_workloads_are_all_checked():
    assert_that(set(MOCK_WORKLOADS) >= {"simulator", "metrics-server", "dcgm-server", "learning-metrics-server"},
                equal_to(True), f"mock manifests found: {MOCK_WORKLOADS}")


@pytest.mark.parametrize("mock", MOCK_WORKLOADS)
def test_every_mock_workload_passes_pod_security_restricted(suite_namespace, mock):
    cluster, namespace = suite_namespace
    for obj in manifests.load_manifests(mock, namespace=namespace):
        if obj["kind"] in ("Deployment", "StatefulSet", "Pod"):
            spec = obj["spec"] if obj["kind"] == "Pod" else obj["spec"]["template"]["spec"]
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"{mock}-check", "namespace": namespace},
                   "spec": spec}
            k8s.CoreV1Api(cluster.api_client).create_namespaced_pod(namespace, pod, dry_run="All")  # raises 403 if refused


def test_a_pod_reaches_the_api_server_through_the_kubernetes_service(control_plane):
    """What in-cluster clients (the controller pod) use: KUBERNETES_SERVICE_HOST:443, TLS verified by the CA."""
    pod = network.create_pod_network(os.urandom(8).hex(), "198.18.250.1")
    try:
        fetch = ("import ssl, sys, urllib.request; "
                 f"context = ssl.create_default_context(cafile='{control_plane.pki / 'ca.crt'}'); "
                 f"print(urllib.request.urlopen('https://{network.KUBERNETES_SERVICE_IP}/version', "
                 "context=context, timeout=10).read().decode())")
        result = subprocess.run(["ip", "netns", "exec", pod.netns, sys.executable, "-c", fetch],
                                capture_output=True, text=True, timeout=60)
    finally:
        network.delete_pod_network(pod.netns)
    assert_that(result.stdout + result.stderr, contains_string(binaries.kubernetes_version()))


# -- every kubeconfig form reaches the mocks (audit item 2) -------------------------------------------

def _variant(control_plane, tmp_path, **cluster_fields) -> str:
    config = yaml.safe_load(control_plane.suite_kubeconfig.read_text())
    entry = config["clusters"][0]["cluster"]
    if cluster_fields.pop("drop_ca", False):
        del entry["certificate-authority-data"]
    entry.update(cluster_fields)
    path = tmp_path / "variant.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _split(control_plane, tmp_path) -> str:
    """The suite's kubeconfig as a KUBECONFIG list: clusters and users in one file, the context in another."""
    config = yaml.safe_load(control_plane.suite_kubeconfig.read_text())
    first, second = dict(config), {"apiVersion": "v1", "kind": "Config", "contexts": config["contexts"],
                                   "current-context": config["current-context"]}
    first.pop("contexts"), first.pop("current-context")
    (tmp_path / "a.kubeconfig").write_text(yaml.safe_dump(first))
    (tmp_path / "b.kubeconfig").write_text(yaml.safe_dump(second))
    return f"{tmp_path / 'a.kubeconfig'}{os.pathsep}{tmp_path / 'b.kubeconfig'}"


@pytest.mark.parametrize("form", ["client certificate, insecure-skip-tls-verify", "tls-server-name",
                                  "KUBECONFIG list"])
def test_mock_calls_work_with_every_kubeconfig_form(control_plane, suite_namespace, tmp_path, form):
    _, namespace = suite_namespace
    kubeconfig = {
        "client certificate, insecure-skip-tls-verify": lambda: _variant(control_plane, tmp_path, drop_ca=True,
                                                                         **{"insecure-skip-tls-verify": True}),
        "tls-server-name": lambda: _variant(control_plane, tmp_path, server=control_plane.server.replace(
            "127.0.0.1", "localhost"), **{"tls-server-name": "kubernetes.default.svc"}),
        "KUBECONFIG list": lambda: _split(control_plane, tmp_path),
    }[form]()
    cluster = connect(kubeconfig)
    try:
        cluster.apply(manifests.load_manifests("metrics-server", namespace=namespace))
        workload = Workload(namespace, "mock-vllm-metrics", 8000)
        driver = MockDriver(cluster)
        _wait(lambda: [p for p in cluster.workload_pods(namespace, workload.deployment) if is_ready(p)], 120,
              "a Ready mock-vllm-metrics pod")
        assert_that(driver.set_on_every_pod(workload, "/set", gpu_cache=42), equal_to(1))
        assert_that([r.json()["gpu_cache"] for r in driver.query(workload, "/status")], equal_to([42.0]))
    finally:
        cluster.close()


def test_a_field_the_crd_does_not_know_is_refused_by_name_not_pruned(suite_namespace):
    """fieldValidation=Strict: a stale CRD or a typo fails the apply naming the field (audit item 1)."""
    cluster, namespace = suite_namespace
    [scaler] = [o for o in manifests.load_manifests("basic-test", namespace=namespace) if o["kind"] == "BudAIScaler"]
    scaler["spec"]["maxReplica"] = 3
    with pytest.raises(ApplyError) as refused:
        cluster.apply([scaler])
    assert_that(str(refused.value), contains_string(".spec.maxReplica: field not declared in schema"))


# -- Services: by ClusterIP and by name, as kube-proxy and cluster DNS would have it ---------------------

def test_a_pod_reaches_a_service_by_name_and_cluster_ip(control_plane, suite_namespace):
    """The load generator's TARGET (a short Service name) and BudAIScaler's DCGM URL (a full one)."""
    cluster, namespace = suite_namespace
    cluster.apply(manifests.load_manifests("simulator", namespace=namespace))
    _wait(lambda: [p for p in cluster.workload_pods(namespace, "llm-inference-sim") if is_ready(p)], 120,
          "a Ready llm-inference-sim pod")
    core = k8s.CoreV1Api(cluster.api_client)
    cluster_ip = core.read_namespaced_service("llm-inference-sim", namespace).spec.cluster_ip
    client = network.create_pod_network(os.urandom(8).hex(), "198.18.250.2", namespace)
    fetch = ("import socket, sys, urllib.request; "
             "print(socket.gethostbyname(sys.argv[1])); "
             "print(urllib.request.urlopen(f'http://{sys.argv[1]}:9000/metrics', timeout=10).read().decode())")
    try:
        seen = {name: subprocess.run(["ip", "netns", "exec", client.netns, sys.executable, "-c", fetch, name],
                                     capture_output=True, text=True, timeout=60)
                for name in ("llm-inference-sim", f"llm-inference-sim.{namespace}.svc.cluster.local")}
        outside = subprocess.run(["ip", "netns", "exec", client.netns, sys.executable, "-c",
                                  "import socket; socket.gethostbyname('example.com')"],
                                 capture_output=True, text=True, timeout=60)
    finally:
        network.delete_pod_network(client.netns)
    for name, result in seen.items():
        assert_that(result.stdout.split("\n", 1)[0], equal_to(cluster_ip), f"{name} resolves to the ClusterIP: {result.stderr}")
        assert_that(result.stdout, contains_string("vllm:gpu_cache_usage_perc"))
    assert outside.returncode != 0, "a name outside the cluster resolved: lookups must stay on the node"
