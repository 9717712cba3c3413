"""The `cluster` target end to end: behave, reaching a cluster through a kubeconfig on the real clock.

The embedded cluster served in real time (x20) stands in for a real one: behave sees only a
kubeconfig, exactly as with kind or a cloud cluster."""

from __future__ import annotations

import re

from conftest import run_behave, scenario_line

READY = "The scaler becomes Ready"


def test_a_scenario_passes_on_the_cluster_target_and_its_namespace_is_deleted(served_cluster, tmp_path):
    before = served_cluster.namespaces()

    result = run_behave("-D", "target=cluster", "-D", f"kubeconfig={served_cluster.kubeconfig}",
                        f"features/scaling.feature:{scenario_line(READY)}", artifacts=tmp_path / "artifacts")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "target:    cluster" in result.stdout, output
    assert f"kubeconfig: {served_cluster.kubeconfig}" in result.stdout, output
    assert "1 scenario passed, 0 failed" in result.stdout, output
    assert "Traceback" not in output
    after = served_cluster.namespaces_once_terminated()
    assert not [n for n in after if n.startswith("budspec-scaling-")], f"left behind: {sorted(after)}"
    assert set(before) <= set(after), "a namespace the suite did not create was deleted"


def test_the_scenario_really_ran_in_its_own_namespace_on_the_served_cluster(served_cluster, tmp_path):
    """`--no-capture` shows the cleanup line: the namespace the scenario used was created and deleted there."""
    result = run_behave("--no-capture", "-D", "target=cluster", "-D", f"kubeconfig={served_cluster.kubeconfig}",
                        f"features/scaling.feature:{scenario_line(READY)}", artifacts=tmp_path / "artifacts")

    assert result.returncode == 0, result.stdout + result.stderr
    deleted = re.search(r"deleted namespace (budspec-scaling-[0-9a-f]+)", result.stdout)
    assert deleted, result.stdout
    assert deleted.group(1) not in served_cluster.namespaces_once_terminated()


def test_a_missing_kubeconfig_stops_the_run_with_one_clear_line(tmp_path):
    result = run_behave("-D", "target=cluster", "-D", "kubeconfig=/nonexistent",
                        f"features/scaling.feature:{scenario_line(READY)}", artifacts=tmp_path / "artifacts")

    assert result.returncode == 2
    reason = [line for line in result.stderr.splitlines() if line.startswith("budaiscaler-spec cannot start:")]
    assert reason == ["budaiscaler-spec cannot start: no kubeconfig at /nonexistent: point -D kubeconfig=PATH "
                      "(or KUBECONFIG) at one, or run on the embedded cluster by leaving out -D target=cluster"], \
        result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "scenarios passed" not in result.stdout  # the run stopped before any scenario


def test_an_unknown_context_stops_the_run_listing_the_contexts(served_cluster, tmp_path):
    result = run_behave("-D", "target=cluster", "-D", f"kubeconfig={served_cluster.kubeconfig}",
                        "-D", "context=no-such-context",
                        f"features/scaling.feature:{scenario_line(READY)}", artifacts=tmp_path / "artifacts")

    assert result.returncode == 2
    reason = [line for line in result.stderr.splitlines() if line.startswith("budaiscaler-spec cannot start:")]
    assert len(reason) == 1, result.stderr
    assert "no context 'no-such-context'" in reason[0]
    assert "it has: budspec-local" in reason[0]
    assert "-D context=NAME" in reason[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert "scenarios passed" not in result.stdout
    assert not [n for n in served_cluster.namespaces() if n.startswith("budspec-")]
