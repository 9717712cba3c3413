"""Cleanup when a run is interrupted (SIGTERM from CI, Ctrl-C at a terminal), and the cleanup policies.

behave runs in a subprocess against the embedded cluster served in real time (x20), the
stand-in for a real cluster; the test interrupts it in the middle of a long scenario and
then looks at the cluster's namespaces through the official client."""

from __future__ import annotations

import re
import signal
import subprocess
import time

import kubernetes
import pytest

from conftest import (MANAGED_SELECTOR, example_row_line, run_behave, scenario_line, start_behave, stop_process,
                      wait_until)

# Minutes of virtual time (4 min to reach 5 replicas, 90 s steady, 50 s hold, ...): at x20 it is still
# running many seconds after its scaler is applied.
LONG = "The scale-down window counts from when the load falls"
READY = "The scaler becomes Ready"
# A row the tolerance quirk fails (@quirk.tolerance-as-percent): 74% is inside the contract's 10% band.
FAILS_AS_BUILT = ("above the target", "74%")
NOT_OURS = ("keep-me", "budaiscaler-system", "default", "kube-system")


@pytest.fixture(scope="module")
def keep_me(served_cluster):
    """A namespace the suite did not create; it must survive everything here."""
    core = served_cluster.core()
    try:
        core.create_namespace({"metadata": {"name": "keep-me"}})
    except kubernetes.client.ApiException as error:
        if error.status != 409:
            raise
    return "keep-me"


def _scenario_namespace_with_its_scaler(served_cluster) -> str | None:
    """The managed namespace, once the scenario has applied its BudAIScaler there (so it is mid-scenario)."""
    api = kubernetes.config.new_client_from_config(config_file=str(served_cluster.kubeconfig))
    custom = kubernetes.client.CustomObjectsApi(api)
    for name in served_cluster.namespaces(MANAGED_SELECTOR):
        scalers = custom.list_namespaced_custom_object("scaler.bud.studio", "v1alpha1", name, "budaiscalers")
        if scalers["items"]:
            return name
    return None


def _start_long_scenario(served_cluster, tmp_path, log):
    return start_behave("-D", "target=cluster", "-D", f"kubeconfig={served_cluster.kubeconfig}",
                        f"features/scaling.feature:{scenario_line(LONG)}",
                        artifacts=tmp_path / "artifacts", log=log)


def _wait_for_its_namespace(served_cluster) -> str:
    return wait_until(lambda: _scenario_namespace_with_its_scaler(served_cluster), 20,
                      "the scenario's namespace with its scaler applied")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_interrupted_run_deletes_its_namespace_and_nothing_else(served_cluster, keep_me, tmp_path, signum):
    log = tmp_path / "behave.log"
    behave = _start_long_scenario(served_cluster, tmp_path, log)
    try:
        namespace = _wait_for_its_namespace(served_cluster)
        assert behave.poll() is None, f"the scenario ended before it could be interrupted:\n{log.read_text()}"

        behave.send_signal(signum)
        try:
            returncode = behave.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"behave did not stop within 20 s of {signum.name}:\n{log.read_text()}") from None
    finally:
        stop_process(behave)

    output = log.read_text()
    assert returncode != 0, output
    assert "ABORTED" in output, output
    assert f"deleted namespace {namespace}" in output, output
    remaining = served_cluster.namespaces_once_terminated()
    assert namespace not in remaining, f"{signum.name} left the scenario's namespace {namespace} behind"
    assert not served_cluster.namespaces(MANAGED_SELECTOR), "a managed namespace is left"
    for name in NOT_OURS:
        assert name in remaining, f"{name} (not created by the suite) was deleted"
    assert (tmp_path / "artifacts" / namespace).is_dir(), "an interrupted scenario keeps its diagnostics"


def test_a_second_interrupt_during_cleanup_still_deletes_the_namespace(served_cluster, keep_me, tmp_path):
    """CI cancels with SIGINT and follows with SIGTERM; an impatient user presses Ctrl-C twice."""
    log = tmp_path / "behave.log"
    behave = _start_long_scenario(served_cluster, tmp_path, log)
    try:
        namespace = _wait_for_its_namespace(served_cluster)
        behave.send_signal(signal.SIGINT)
        time.sleep(0.01)  # the second signal lands while the suite collects diagnostics and cleans up
        behave.send_signal(signal.SIGTERM)
        behave.wait(timeout=20)
    finally:
        stop_process(behave)
    left_behind = namespace in served_cluster.namespaces_once_terminated()
    if left_behind:
        served_cluster.core().delete_namespace(namespace)  # leave the module's cluster clean for the next test
    assert not left_behind, f"{namespace} was left behind:\n{log.read_text()}"


def test_cleanup_never_keeps_the_namespace_of_a_passing_scenario(served_cluster, keep_me, tmp_path):
    before = set(served_cluster.namespaces(MANAGED_SELECTOR))
    result = run_behave("--no-capture", "-D", "target=cluster", "-D", f"kubeconfig={served_cluster.kubeconfig}",
                        "-D", "cleanup=never", f"features/scaling.feature:{scenario_line(READY)}",
                        artifacts=tmp_path / "artifacts")

    assert result.returncode == 0, result.stdout + result.stderr
    kept = re.search(r"kept namespace (budspec-scaling-[0-9a-f]+) for inspection", result.stdout)
    assert kept, result.stdout
    managed = served_cluster.namespaces(MANAGED_SELECTOR)
    assert set(managed) - before == {kept.group(1)}
    assert managed[kept.group(1)]["budaiscaler-spec/feature"] == "scaling"
    served_cluster.core().delete_namespace(kept.group(1))  # leave the module's cluster as we found it


def test_cleanup_on_success_keeps_only_the_namespace_of_a_failing_scenario(tmp_path):
    """The local target with the as-built model: the tolerance quirk makes the scenario fail."""
    failing = run_behave("--no-capture", "-D", "model=as-built", "-D", "cleanup=on-success",
                         f"features/scaling.feature:{example_row_line(*FAILS_AS_BUILT)}",
                         artifacts=tmp_path / "artifacts")
    passing = run_behave("--no-capture", "-D", "model=as-built", "-D", "cleanup=on-success",
                         f"features/scaling.feature:{scenario_line(READY)}", artifacts=tmp_path / "artifacts")

    assert failing.returncode != 0, failing.stdout + failing.stderr
    assert "1 scenario passed" not in failing.stdout
    kept = re.search(r"kept namespace (budspec-scaling-[0-9a-f]+) for inspection", failing.stdout)
    assert kept, failing.stdout
    assert "deleted namespace" not in failing.stdout
    assert (tmp_path / "artifacts" / kept.group(1)).is_dir(), "the failed scenario's diagnostics"

    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert re.search(r"deleted namespace budspec-scaling-[0-9a-f]+", passing.stdout), passing.stdout
    assert "kept namespace" not in passing.stdout
