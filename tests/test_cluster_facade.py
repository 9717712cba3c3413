"""support.cluster (and support.mockctl) against the embedded cluster, in-process on the virtual clock:
the facade the `cluster` target uses, through a kubeconfig and the official client, as on a real cluster."""

from __future__ import annotations

import itertools
import re
import socket

import pytest

from support import manifests
from support.cluster import (MANAGED_BY, SCALER_API, SCALER_KIND, Condition, Cluster, ObjectRef,
                             PreconditionError, ScalerStatus, connect, is_ready)
from support.localcluster import LocalCluster, crd_manifest
from support.mockctl import MockDriver, MockRequestError, Workload

CONTROLLER_NAMESPACE = "budaiscaler-system"
SIMULATOR = "llm-inference-sim"
SCALER = "llm-inference-scaler"
_names = itertools.count(1)
pytestmark = pytest.mark.usefixtures("private_tempdir")  # discovery caches stay out of /tmp and other runs


def advance_until(local: LocalCluster, probe, what: str, step: float = 1.0, limit: float = 120.0):
    """Advance the virtual clock a step at a time until `probe()` is truthy (at most `limit` virtual seconds)."""
    waited = 0.0
    while not (value := probe()):
        if waited >= limit:
            raise AssertionError(f"{what} did not happen within {limit:g} virtual seconds")
        local.clock.advance(step)
        waited += step
    return value


@pytest.fixture(scope="module")
def local():
    with LocalCluster(run_controller=True) as running:
        yield running


@pytest.fixture(scope="module")
def cluster(local) -> Cluster:
    connected = connect(str(local.kubeconfig_path))
    advance_until(local, lambda: _ready_controller(connected), "the controller pod to become ready")
    yield connected
    connected.close()


def _ready_controller(cluster: Cluster) -> bool:
    return any(is_ready(p) for p in cluster.pods(CONTROLLER_NAMESPACE))


@pytest.fixture
def namespace(cluster) -> str:
    name = f"facade-{next(_names)}"
    assert cluster.create_namespace(name, dict(MANAGED_BY))
    return name


@pytest.fixture
def simulator(local, cluster, namespace) -> Workload:
    """The inference simulator deployed in `namespace`, its one pod running and ready."""
    cluster.apply(manifests.load_manifests("simulator", namespace=namespace))
    advance_until(local, lambda: any(is_ready(p) for p in cluster.workload_pods(namespace, SIMULATOR)),
                  "the simulator pod to become ready")
    return Workload(namespace, SIMULATOR, 9000)


# -- connect -------------------------------------------------------------------------------------

def test_connect_without_a_kubeconfig_file_names_the_setting_to_fix(tmp_path):
    missing = tmp_path / "nowhere" / "kubeconfig"
    with pytest.raises(PreconditionError) as raised:
        connect(str(missing))
    message = str(raised.value)
    assert str(missing) in message
    assert "-D kubeconfig=PATH" in message and "KUBECONFIG" in message


def test_connect_falls_back_to_the_KUBECONFIG_variable(local, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(local.kubeconfig_path))
    connected = connect()
    try:
        assert connected.server == local.server_url
        assert connected.context == "budspec-local"
    finally:
        connected.close()


def test_connect_to_an_unknown_context_lists_the_contexts_it_has(local):
    with pytest.raises(PreconditionError) as raised:
        connect(str(local.kubeconfig_path), context="kind-prod")
    message = str(raised.value)
    assert "no context 'kind-prod'" in message
    assert "it has: budspec-local" in message
    assert "-D context=NAME" in message


def test_connect_to_a_named_context(local):
    connected = connect(str(local.kubeconfig_path), context="budspec-local")
    try:
        assert connected.context == "budspec-local"
        assert connected.check_reachable() == "v1.31.0-budspec"
    finally:
        connected.close()


# -- preconditions -------------------------------------------------------------------------------

def test_check_reachable_returns_the_server_version(cluster):
    assert cluster.check_reachable() == "v1.31.0-budspec"


def test_check_reachable_on_a_stopped_server_says_which_server_and_context(tmp_path):
    gone = LocalCluster(run_controller=False, workdir=tmp_path).start()
    connected = connect(str(gone.kubeconfig_path))
    gone.stop()
    try:
        with pytest.raises(PreconditionError) as raised:
            connected.check_reachable()
        message = str(raised.value)
        assert f"cannot reach the API server {gone.server_url}" in message
        assert "'budspec-local'" in message and "-D context=NAME" in message
    finally:
        connected.close()


def test_check_budaiscaler_installed_finds_the_controller(cluster):
    info = cluster.check_budaiscaler_installed(CONTROLLER_NAMESPACE)
    assert info.namespace == CONTROLLER_NAMESPACE
    assert len(info.pods) == 1 and info.pods[0].startswith("budaiscaler-controller-manager-")
    assert info.images == ("ghcr.io/budecosystem/budaiscaler:reference",)


def test_check_budaiscaler_installed_without_the_crd_says_to_install_it(tmp_path):
    with LocalCluster(run_controller=True, workdir=tmp_path) as local:
        local.uninstall_crd()
        connected = connect(str(local.kubeconfig_path))
        try:
            advance_until(local, lambda: _ready_controller(connected), "the controller pod to become ready")
            with pytest.raises(PreconditionError) as raised:
                connected.check_budaiscaler_installed(CONTROLLER_NAMESPACE)
            message = str(raised.value)
            assert "budaiscalers.scaler.bud.studio missing" in message
            assert "install BudAIScaler (its CRD and controller)" in message
            assert "leaving out -D target=cluster" in message

            local.install_crd()  # the failed look-up is not cached: installing it is seen
            assert connected.check_budaiscaler_installed(CONTROLLER_NAMESPACE).pods
        finally:
            connected.close()


def test_check_budaiscaler_installed_sees_a_crd_removed_after_a_first_check(tmp_path):
    with LocalCluster(run_controller=True, workdir=tmp_path) as local:
        connected = connect(str(local.kubeconfig_path))
        try:
            advance_until(local, lambda: _ready_controller(connected), "the controller pod to become ready")
            connected.check_budaiscaler_installed(CONTROLLER_NAMESPACE)
            local.uninstall_crd()
            with pytest.raises(PreconditionError, match="missing"):
                connected.check_budaiscaler_installed(CONTROLLER_NAMESPACE)
        finally:
            connected.close()


def test_a_new_connection_to_the_same_server_does_not_trust_an_old_discovery(tmp_path):
    port = _free_port()
    with LocalCluster(port=port, workdir=tmp_path / "one") as one:
        first = connect(str(one.kubeconfig_path))
        advance_until(one, lambda: _ready_controller(first), "the controller pod to become ready")
        first.check_budaiscaler_installed(CONTROLLER_NAMESPACE)
        first.close()
    with LocalCluster(port=port, workdir=tmp_path / "two") as two:  # another cluster at the same URL, no CRD
        two.uninstall_crd()
        second = connect(str(two.kubeconfig_path))
        try:
            advance_until(two, lambda: _ready_controller(second), "the controller pod to become ready")
            with pytest.raises(PreconditionError, match="missing"):
                second.check_budaiscaler_installed(CONTROLLER_NAMESPACE)
        finally:
            second.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_another_ready_pod_in_the_controller_namespace_is_not_taken_for_the_controller(tmp_path):
    """Found by label control-plane=controller-manager (audit item 6), not as any pod of the namespace."""
    with LocalCluster(run_controller=False, workdir=tmp_path) as local:
        connected = connect(str(local.kubeconfig_path))
        try:
            connected.apply(manifests.load_manifests("metrics-server", namespace=CONTROLLER_NAMESPACE))
            local.clock.advance(30)
            assert [p for p in connected.pods(CONTROLLER_NAMESPACE) if is_ready(p)], "the bystander pod is not up"
            with pytest.raises(PreconditionError, match="labelled control-plane=controller-manager"):
                connected.check_budaiscaler_installed(CONTROLLER_NAMESPACE)
        finally:
            connected.close()


def test_a_stale_crd_stops_the_start_naming_the_fields_it_would_prune(tmp_path):
    """The Helm chart's older CRD (no scheduleHints, no enableLearning...) is caught at start (audit item 1)."""
    from test_crd_check import older_crd_schema

    with LocalCluster(workdir=tmp_path) as local:
        connected = connect(str(local.kubeconfig_path))
        try:
            crd = crd_manifest()
            crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = older_crd_schema()
            local.uninstall_crd()  # replaced, not merged into the full one
            connected.apply([crd])
            with pytest.raises(PreconditionError) as raised:
                connected.check_budaiscaler_installed(CONTROLLER_NAMESPACE)
        finally:
            connected.close()
    message = str(raised.value)
    for field in ("spec.scheduleHints", "spec.predictionConfig.enableLearning", "status.learningStatus"):
        assert field in message
    assert "install the controller-gen CRD" in message


def test_check_budaiscaler_installed_without_a_controller_says_to_start_it(tmp_path):
    with LocalCluster(run_controller=False, workdir=tmp_path) as local:
        connected = connect(str(local.kubeconfig_path))
        try:
            local.clock.advance(30)
            with pytest.raises(PreconditionError) as raised:
                connected.check_budaiscaler_installed(CONTROLLER_NAMESPACE)
            message = str(raised.value)
            assert ("no running, ready BudAIScaler controller pod labelled control-plane=controller-manager "
                    f"in namespace '{CONTROLLER_NAMESPACE}'") in message
            assert "install or start the controller" in message
            assert "-D controller_namespace=NS" in message
        finally:
            connected.close()


# -- apply and workloads -------------------------------------------------------------------------

def test_apply_the_simulator_then_read_its_deployment_and_pods(local, cluster, namespace):
    refs = cluster.apply(manifests.load_manifests("simulator", namespace=namespace))
    assert refs == [ObjectRef("v1", "ConfigMap", namespace, "vllm-metrics-sidecar"),
                    ObjectRef("apps/v1", "Deployment", namespace, SIMULATOR),
                    ObjectRef("v1", "Service", namespace, SIMULATOR)]
    configmap = cluster.get("v1", "ConfigMap", namespace, "vllm-metrics-sidecar")
    assert "def create_server" in configmap["data"]["vllm_sidecar.py"]  # the program, filled in by load_manifests

    deployment = cluster.deployment(namespace, SIMULATOR)
    assert deployment["metadata"]["namespace"] == namespace
    assert deployment["spec"]["replicas"] == 1

    advance_until(local, lambda: any(is_ready(p) for p in cluster.workload_pods(namespace, SIMULATOR)),
                  "the simulator pod to become ready")
    pods = cluster.workload_pods(namespace, SIMULATOR)
    assert len(pods) == 1
    assert pods[0]["metadata"]["name"].startswith(f"{SIMULATOR}-")
    assert [c["name"] for c in pods[0]["spec"]["containers"]] == ["simulator", "metrics-sidecar"]
    assert [p["metadata"]["name"] for p in cluster.pods(namespace)] == [pods[0]["metadata"]["name"]]
    assert cluster.pods(namespace, "app=somebody-else") == []


def test_apply_twice_is_idempotent(cluster, simulator):
    documents = manifests.load_manifests("simulator", namespace=simulator.namespace)
    generation = cluster.deployment(simulator.namespace, SIMULATOR)["metadata"]["generation"]
    cluster.apply(documents)
    assert cluster.deployment(simulator.namespace, SIMULATOR)["metadata"]["generation"] == generation


def test_missing_objects_are_none_or_a_lookup_error_naming_them(cluster, namespace):
    assert cluster.get("apps/v1", "Deployment", namespace, "absent") is None
    with pytest.raises(LookupError, match=f"Deployment 'absent' not found in namespace '{namespace}'"):
        cluster.deployment(namespace, "absent")
    with pytest.raises(LookupError, match=f"BudAIScaler 'absent' not found in namespace '{namespace}'"):
        cluster.scaler(namespace, "absent")


def test_an_unserved_kind_is_a_precondition_error(cluster):
    with pytest.raises(PreconditionError, match="does not serve example.com/v1 Gadget"):
        cluster.list("example.com/v1", "Gadget")


# -- the scaler ----------------------------------------------------------------------------------

def test_scaler_status_after_the_controller_reconciles(local, cluster, simulator):
    driver = MockDriver(cluster)
    driver.set_on_every_pod(simulator, "/set", gpu_cache=30)  # below the 70% target: one replica is enough
    driver.close()
    refs = cluster.apply(manifests.load_manifests("basic-test", namespace=simulator.namespace))
    assert refs == [ObjectRef(SCALER_API, SCALER_KIND, simulator.namespace, SCALER)]

    status = advance_until(local, lambda: _ready_status(cluster, simulator.namespace),
                           "the scaler to become Ready", step=5)

    assert isinstance(status, ScalerStatus)
    assert status.desired_replicas == 1 and status.actual_replicas == 1
    ready = status.condition("Ready")
    assert ready == Condition("Ready", "True", "ScalerReady", "BudAIScaler is ready and operating")
    assert status.condition("NoSuchCondition") is None
    assert isinstance(status.history, tuple)
    assert isinstance(status.learning, dict) and isinstance(status.prediction, dict)
    assert status.raw["desiredScale"] == 1


def _ready_status(cluster: Cluster, namespace: str) -> ScalerStatus | None:
    status = cluster.scaler_status(namespace, SCALER)
    ready = status.condition("Ready")
    return status if ready is not None and ready.status == "True" and status.desired_replicas is not None else None


def test_scaler_status_of_a_scaler_without_status_has_none_fields():
    status = ScalerStatus.from_object({"metadata": {"name": "fresh"}, "spec": {}})
    assert (status.desired_replicas, status.actual_replicas, status.last_scale_time) == (None, None, None)
    assert status.conditions == () and status.history == () and status.learning == {} and status.raw == {}


def test_patch_scaler_spec_merges_into_the_spec(local, cluster, simulator):
    cluster.apply(manifests.load_manifests("basic-test", namespace=simulator.namespace))
    before = cluster.scaler(simulator.namespace, SCALER)

    patched = cluster.patch_scaler_spec(simulator.namespace, SCALER, {"minReplicas": 2, "maxReplicas": 3})

    assert (patched["spec"]["minReplicas"], patched["spec"]["maxReplicas"]) == (2, 3)
    assert patched["spec"]["metricsSources"] == before["spec"]["metricsSources"]  # merged, not replaced
    assert patched["metadata"]["generation"] == before["metadata"]["generation"] + 1
    # the controller acts on the new bounds: the deployment is raised to the new minimum
    advance_until(local, lambda: cluster.deployment(simulator.namespace, SIMULATOR)["spec"]["replicas"] == 2,
                  "the deployment to follow minReplicas=2", step=5)


# -- namespaces ----------------------------------------------------------------------------------

def test_create_namespace_is_true_once_then_false_for_an_existing_one(cluster):
    name = f"facade-ns-{next(_names)}"
    assert cluster.create_namespace(name, {**MANAGED_BY, "extra": "yes"}) is True
    assert cluster.create_namespace(name, {}) is False
    assert cluster.create_namespace("default", dict(MANAGED_BY)) is False
    labels = cluster.get("v1", "Namespace", None, name)["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "budaiscaler-spec" and labels["extra"] == "yes"
    managed = [n["metadata"]["name"] for n in cluster.namespaces("app.kubernetes.io/managed-by=budaiscaler-spec")]
    assert name in managed and "default" not in managed


def test_namespace_phase_reads_active_terminating_or_none(cluster, local):
    name = f"facade-ns-{next(_names)}"
    assert cluster.namespace_phase(name) is None
    cluster.create_namespace(name, {})
    assert cluster.namespace_phase(name) == "Active"
    stored = local.store.get("Namespace", None, name)
    stored["status"] = {"phase": "Terminating"}
    local.store.update("Namespace", stored, status_only=True)
    assert cluster.namespace_phase(name) == "Terminating"


def test_delete_namespace_deletes_its_content_and_tolerates_a_missing_one(cluster, simulator):
    assert cluster.namespace_exists(simulator.namespace)
    cluster.delete_namespace(simulator.namespace)
    assert not cluster.namespace_exists(simulator.namespace)
    assert cluster.get("apps/v1", "Deployment", simulator.namespace, SIMULATOR) is None
    cluster.delete_namespace(simulator.namespace)  # 404: already gone, no error
    cluster.delete_namespace("never-existed")


def test_delete_tolerates_a_missing_object(cluster, namespace):
    cluster.delete(ObjectRef("v1", "ConfigMap", namespace, "absent"))
    cluster.delete_pod(namespace, "absent")


# -- the pod proxy through the official client, logs ----------------------------------------------

def test_the_pod_proxy_goes_with_the_kubeconfigs_credentials_and_ca(cluster, simulator):
    pod = cluster.workload_pods(simulator.namespace, SIMULATOR)[0]["metadata"]["name"]
    response = cluster.proxy_get(simulator.namespace, pod, 9000, "/status")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"gpu_cache", "requests_running", "requests_waiting", "cpu"}


def test_a_pod_proxy_answer_that_is_not_ok_is_returned_not_raised(cluster, simulator):
    pod = cluster.workload_pods(simulator.namespace, SIMULATOR)[0]["metadata"]["name"]
    response = cluster.proxy_get(simulator.namespace, pod, 9000, "/set", [("gpu_cache", "abc")])
    assert response.status_code == 400
    assert "gpu_cache must be a number" in response.text


def test_pod_log_of_the_controller(cluster):
    pod = cluster.check_budaiscaler_installed(CONTROLLER_NAMESPACE).pods[0]
    log = cluster.pod_log(CONTROLLER_NAMESPACE, pod)
    assert "started container manager (image ghcr.io/budecosystem/budaiscaler:reference)" in log
    assert "reference operator started (model=contract" in log
    assert cluster.pod_log(CONTROLLER_NAMESPACE, pod, container="manager", tail_lines=1).count("\n") <= 1


def test_events_and_configmaps_of_a_namespace(cluster, simulator):
    assert [c["metadata"]["name"] for c in cluster.configmaps(simulator.namespace)] == ["vllm-metrics-sidecar"]
    reasons = {e.get("reason") for e in cluster.events(simulator.namespace)}
    assert "Started" in reasons or "Scheduled" in reasons, reasons


# -- the mock driver through the pod proxy -------------------------------------------------------

def _gpu_cache(response) -> float:
    found = re.search(r"^vllm:gpu_cache_usage_perc\{[^}]*\} (\S+)$", response.text, re.MULTILINE)
    assert found, response.text
    return float(found.group(1))


def test_set_on_every_pod_changes_the_metrics_the_pods_serve(cluster, simulator):
    driver = MockDriver(cluster)
    try:
        assert [_gpu_cache(r) for r in driver.query(simulator, "/metrics")] == [85.0]  # INITIAL_GPU_CACHE
        assert driver.set_on_every_pod(simulator, "/set", gpu_cache=42.0, requests_running=3) == 1
        [response] = driver.query(simulator, "/metrics")
        assert response.status_code == 200
        assert _gpu_cache(response) == 42.0
        assert "vllm:num_requests_running" in response.text
        assert [r.json()["requests_running"] for r in driver.query(simulator, "/status")] == [3]
    finally:
        driver.close()


def test_a_refused_value_names_the_pod_and_the_mocks_reason_and_changes_nothing(cluster, simulator):
    driver = MockDriver(cluster)
    try:
        driver.set_on_every_pod(simulator, "/set", gpu_cache=42)
        pod = cluster.workload_pods(simulator.namespace, SIMULATOR)[0]["metadata"]["name"]

        with pytest.raises(MockRequestError) as raised:
            driver.set_on_every_pod(simulator, "/set", gpu_cache="abc")

        message = str(raised.value)
        assert f"pod {pod} answered 400" in message
        assert "gpu_cache must be a number from 0 to 100, got 'abc'" in message
        assert [r.json()["gpu_cache"] for r in driver.query(simulator, "/status")] == [42.0]
    finally:
        driver.close()


def test_keep_applied_replays_the_calls_on_a_pod_that_appears_later(local, cluster, simulator):
    driver = MockDriver(cluster)
    try:
        assert driver.set_on_every_pod(simulator, "/set", gpu_cache=42) == 1
        first = {p["metadata"]["name"] for p in cluster.workload_pods(simulator.namespace, SIMULATOR)}

        cluster.merge_patch("apps/v1", "Deployment", simulator.namespace, SIMULATOR, {"spec": {"replicas": 2}})
        # Ready, not just Running: a Running pod's server may not listen yet (its proxy answers 503)
        advance_until(local, lambda: sum(map(is_ready, driver._running_pods(simulator))) == 2, "a second ready pod")
        new = {p["metadata"]["name"] for p in cluster.workload_pods(simulator.namespace, SIMULATOR)} - first
        assert len(new) == 1
        assert sorted(r.json()["gpu_cache"] for r in driver.query(simulator, "/status")) == [42.0, 85.0]

        driver.keep_applied()

        assert [r.json()["gpu_cache"] for r in driver.query(simulator, "/status")] == [42.0, 42.0]
        assert driver.set_on_every_pod(simulator, "/set", gpu_cache=10) == 2  # both pods take a new value
        driver.keep_applied()  # nothing left to replay
        assert [r.json()["gpu_cache"] for r in driver.query(simulator, "/status")] == [10.0, 10.0]
    finally:
        driver.close()


def test_a_refused_value_is_not_replayed_on_later_pods(local, cluster, simulator):
    driver = MockDriver(cluster)
    try:
        driver.set_on_every_pod(simulator, "/set", gpu_cache=42)
        with pytest.raises(MockRequestError):
            driver.set_on_every_pod(simulator, "/set", gpu_cache="abc")
        cluster.merge_patch("apps/v1", "Deployment", simulator.namespace, SIMULATOR, {"spec": {"replicas": 2}})
        # Ready, not just Running: a Running pod's server may not listen yet (its proxy answers 503)
        advance_until(local, lambda: sum(map(is_ready, driver._running_pods(simulator))) == 2, "a second ready pod")

        driver.keep_applied()

        assert [r.json()["gpu_cache"] for r in driver.query(simulator, "/status")] == [42.0, 42.0]
    finally:
        driver.close()
