"""The everyday commands, run as a user runs them: `python -m support status|sweep|serve|report`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import PYTHON, ROOT, clean_env, wait_until

from support.cluster import MANAGED_BY, connect
from support.manifests import load_manifests
from support.mockctl import MockDriver, Workload


def support(*args: str, tmp=None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "support", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=clean_env(tmp))


@pytest.fixture(scope="module")
def scaled_namespace(served_cluster):
    """A namespace with the inference simulator and the basic scaler, at 85% GPU cache, on the served cluster."""
    cluster = connect(str(served_cluster.kubeconfig))
    namespace = "budspec-status-test"
    cluster.create_namespace(namespace, dict(MANAGED_BY))
    mocks = MockDriver(cluster)
    try:
        cluster.apply(load_manifests("simulator", namespace=namespace))
        cluster.apply(load_manifests("basic-test", namespace=namespace))
        workload = Workload(namespace, "llm-inference-sim", 9000)
        wait_until(lambda: mocks.set_on_every_pod(workload, "/set", gpu_cache=85), 30, "a running simulator pod")
        yield namespace
    finally:
        mocks.close()
        cluster.delete_namespace(namespace)
        cluster.close()


def test_status_shows_the_scaler_its_conditions_and_the_metric_each_pod_serves(served_cluster, scaled_namespace):
    def status_with_a_decision():
        done = support("status", scaled_namespace, "--kubeconfig", str(served_cluster.kubeconfig))
        assert done.returncode == 0, done.stderr
        return done.stdout if "desired -" not in done.stdout else None

    out = wait_until(status_with_a_decision, 30, "the scaler to report desired replicas")
    lines = out.splitlines()
    assert lines[0] == (f"{scaled_namespace}/llm-inference-scaler  BudScaler, 1..5 replicas, "
                        "target vllm:gpu_cache_usage_perc=70")
    assert lines[1].startswith("  desired ") and " actual " in lines[1]
    assert "  Ready=True (ScalerReady: " in out
    assert "  Deployment llm-inference-sim: " in out
    assert any(line.strip().startswith("llm-inference-sim-") and "vllm:gpu_cache_usage_perc=85" in line
               for line in lines), out


def test_status_of_an_empty_namespace_says_so(served_cluster):
    done = support("status", "kube-public", "--kubeconfig", str(served_cluster.kubeconfig))
    assert done.returncode == 0 and done.stdout.startswith("no BudAIScaler in namespace kube-public on https://")


def test_clear_errors_and_help():
    missing = support("status", "--kubeconfig", "/nonexistent")
    assert missing.returncode == 2
    assert missing.stderr.strip() == ("status: no kubeconfig at /nonexistent: point --kubeconfig PATH "
                                      "(or KUBECONFIG) at one, or run on the embedded cluster by leaving out "
                                      "-D target=cluster")
    unknown = support("bogus")
    assert unknown.returncode == 2 and "invalid choice: 'bogus'" in unknown.stderr
    nothing = support()
    assert nothing.returncode == 2 and "status" in nothing.stderr and "sweep" in nothing.stderr
    for verb in ("status", "sweep", "serve", "report", "run"):
        shown = support(verb, "--help")
        assert shown.returncode == 0 and shown.stdout.startswith("usage: "), (verb, shown.stderr)
    no_run = support("report", "/nonexistent")
    assert no_run.returncode == 2 and "no run.json in /nonexistent" in no_run.stderr


def test_sweep_through_the_entry_point_names_itself(served_cluster):
    done = support("sweep", "--kubeconfig", str(served_cluster.kubeconfig), "--dry-run", "--older-than", "1000d")
    assert done.returncode == 0, done.stderr
    assert "dry run, nothing is deleted" in done.stdout
    bad = support("sweep", "--older-than", "soon")
    assert bad.returncode == 2 and bad.stderr.startswith("sweep: --older-than 'soon' is not an age")


def test_report_rewrites_a_run_folder_and_merges_several(tmp_path):
    from support.report.run import Run
    folders = []
    for name, status in (("a", "passed"), ("b", "failed")):
        run = Run.create(tmp_path / name, banner="target: local")
        run.add({"feature": "F", "feature_file": "features/f.feature", "name": f"S {name}", "template": None,
                 "examples": None, "location": f"features/f.feature:{3 if name == 'a' else 9}", "tags": [],
                 "known_gap": False, "quirks": [], "status": status, "skip_reason": None, "duration": 1.0,
                 "steps": [], "failure": None if status == "passed" else
                 {"step": "Then x", "message": "Timed out after 1 s waiting for x", "wait": True}})
        folders.append(run.folder)
    done = support("report", *map(str, folders), tmp=tmp_path / "tmp")
    assert done.returncode == 0, done.stderr
    merged = tmp_path / "a" / done.stdout.split("/a/")[1].split("/")[0]
    data = json.loads((merged / "run.json").read_text())
    assert [s["name"] for s in data["scenarios"]] == ["S a", "S b"]
    assert data["totals"]["passed"] == 1 and data["totals"]["failed"] == 1
    assert (merged / "report.html").is_file() and (merged / "junit.xml").is_file()


def test_the_console_script_is_installed():
    script = ROOT / ".venv" / "bin" / "budspec"  # the Makefile reinstalls when pyproject.toml changes
    assert subprocess.run([str(script), "--help"], capture_output=True, text=True).returncode == 0
