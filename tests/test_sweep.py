"""support.sweep: deletes the suite's leftover namespaces, by label and age, and nothing else.

The selection is a pure function of the namespaces and `now`; the sweep itself runs against an
in-process embedded cluster whose virtual clock stamps creationTimestamp."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from support import manifests
from support.cluster import MANAGED_BY, connect
from support.localcluster import LocalCluster
from support.sweep import (Leftover, describe_stuck, format_age, main, parse_age, select_leftovers, select_stuck,
                           server_time, sweep)

MINUTE = 60.0
pytestmark = pytest.mark.usefixtures("private_tempdir")
NOW = 1_767_607_200.0 + 3600  # 2026-01-05T11:00:00Z


def ns(name: str, created: str | None, labels: dict | None = None, **extra) -> dict:
    meta = {"name": name, "labels": dict(MANAGED_BY) if labels is None else labels}
    if created is not None:
        meta["creationTimestamp"] = created
    return {"metadata": {**meta, **extra.pop("meta", {})}, **extra}


# -- ages --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400),
                                           ("1h30m", 5400), ("45", 45), ("0", 0), (" 10M ", 600), ("1.5h", 5400)])
def test_parse_age(text, seconds):
    assert parse_age(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "30x", "m30", "-5m", "1h foo", "30 m"])
def test_parse_age_refuses_what_is_not_an_age(text):
    with pytest.raises(ValueError, match="use e.g. 90s, 30m"):
        parse_age(text)


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59, "59s"), (60, "1m"), (5400, "1h30m"),
                                           (90061, "1d1h1m1s"), (-3, "0s")])
def test_format_age(seconds, text):
    assert format_age(seconds) == text


# -- selection (pure) ----------------------------------------------------------------------------

def test_selects_only_labelled_namespaces_older_than_the_age():
    namespaces = [
        ns("budspec-old", "2026-01-05T10:00:00Z"),                             # 60 min: yes
        ns("budspec-exactly", "2026-01-05T10:30:00Z"),                         # 30 min: yes (at least)
        ns("budspec-young", "2026-01-05T10:45:00Z"),                           # 15 min: a run in progress
        ns("budspec-future", "2026-01-05T12:00:00Z"),                          # clock skew: not old
        ns("someones-app", "2026-01-01T00:00:00Z", labels={}),                 # not ours
        ns("other-tool", "2026-01-01T00:00:00Z", labels={"app.kubernetes.io/managed-by": "helm"}),
        ns("no-labels", "2026-01-01T00:00:00Z", labels=None, meta={"labels": None}),
        ns("budspec-no-stamp", None),                                          # no age: never
        ns("budspec-terminating", "2026-01-05T09:00:00Z", status={"phase": "Terminating"}),
        ns("budspec-deleting", "2026-01-05T09:00:00Z", meta={"deletionTimestamp": "2026-01-05T10:59:00Z"}),
        ns("default", "2026-01-01T00:00:00Z"),                                 # protected even if labelled
        ns("budaiscaler-system", "2026-01-01T00:00:00Z"),
        ns("kube-system", "2026-01-01T00:00:00Z"),
    ]
    chosen = select_leftovers(namespaces, NOW, older_than=30 * MINUTE)
    assert chosen == [Leftover("budspec-exactly", 30 * MINUTE), Leftover("budspec-old", 60 * MINUTE)]


def test_zero_age_takes_every_labelled_namespace_and_also_protect_adds_to_the_protected_ones():
    namespaces = [ns("budspec-a", "2026-01-05T11:00:00Z"), ns("default", "2026-01-05T10:00:00Z"),
                  ns("mine", "2026-01-05T10:00:00Z", labels={"team": "x"})]
    assert [x.name for x in select_leftovers(namespaces, NOW, 0)] == ["budspec-a"]
    assert select_leftovers(namespaces, NOW, 0, also_protect={"budspec-a"}) == []


# -- against the embedded cluster ----------------------------------------------------------------

@pytest.fixture
def local():
    with LocalCluster(run_controller=False) as running:
        yield running


@pytest.fixture
def cluster(local):
    connected = connect(str(local.kubeconfig_path))
    yield connected
    connected.close()


@pytest.fixture
def landscape(local, cluster):
    """At 10:00 an old leftover (with a workload in it) and a foreign namespace; 40 virtual minutes
    later a run in progress. `default` carries the label too: it must survive anyway."""
    assert cluster.create_namespace("budspec-scaling-old", dict(MANAGED_BY))
    cluster.apply(manifests.load_manifests("simulator", namespace="budspec-scaling-old"))
    assert cluster.create_namespace("team-app", {"app.kubernetes.io/name": "team-app"})
    cluster.merge_patch("v1", "Namespace", None, "default", {"metadata": {"labels": dict(MANAGED_BY)}})
    local.clock.advance(40 * MINUTE)
    assert cluster.create_namespace("budspec-scaling-young", dict(MANAGED_BY))
    local.clock.advance(1 * MINUTE)
    return local.clock.now()


def names(cluster) -> set[str]:
    return {n["metadata"]["name"] for n in cluster.list("v1", "Namespace")}


def test_dry_run_lists_the_old_leftover_and_deletes_nothing(cluster, landscape):
    before = names(cluster)
    out = io.StringIO()
    leftovers = sweep(cluster, 30 * MINUTE, now=landscape, dry_run=True, out=out)
    assert leftovers == [Leftover("budspec-scaling-old", 41 * MINUTE)]
    assert "would delete namespace budspec-scaling-old (age 41m)" in out.getvalue()
    assert "left 2 labelled namespace(s) younger than 30m" in out.getvalue()
    assert names(cluster) == before


def test_sweep_deletes_the_old_leftover_with_its_content_and_nothing_else(cluster, landscape):
    before = names(cluster)
    out = io.StringIO()
    sweep(cluster, 30 * MINUTE, now=landscape, out=out)
    assert "deleted namespace budspec-scaling-old (age 41m)" in out.getvalue()
    assert names(cluster) == before - {"budspec-scaling-old"}
    assert {"budspec-scaling-young", "team-app", "default", "kube-system", "budaiscaler-system"} <= names(cluster)
    assert cluster.get("apps/v1", "Deployment", "budspec-scaling-old", "llm-inference-sim") is None

    again = io.StringIO()
    assert sweep(cluster, 30 * MINUTE, now=landscape, out=again) == []
    assert "nothing to sweep" in again.getvalue()


def test_a_smaller_age_takes_the_younger_leftover_too(cluster, landscape):
    deleted = sweep(cluster, 1 * MINUTE, now=landscape, out=io.StringIO())
    assert [x.name for x in deleted] == ["budspec-scaling-old", "budspec-scaling-young"]
    assert {"team-app", "default"} <= names(cluster)


def test_main_with_kubeconfig_context_age_and_dry_run(local, cluster, landscape):
    out = io.StringIO()
    code = main(["--kubeconfig", str(local.kubeconfig_path), "--context", "budspec-local",
                 "--older-than", "30m", "--dry-run"], now=landscape, out=out)
    assert code == 0
    text = out.getvalue()
    assert f"sweeping {local.server_url} (context budspec-local) -- dry run" in text
    assert "would delete namespace budspec-scaling-old" in text
    assert "budspec-scaling-old" in names(cluster)

    out = io.StringIO()
    assert main(["--kubeconfig", str(local.kubeconfig_path), "--older-than", "30m"], now=landscape, out=out) == 0
    assert "deleted namespace budspec-scaling-old" in out.getvalue()
    assert "budspec-scaling-old" not in names(cluster)
    assert "budspec-scaling-young" in names(cluster)


def test_main_refuses_a_bad_age_a_missing_kubeconfig_and_an_unknown_context(local, tmp_path, capsys):
    assert main(["--kubeconfig", str(local.kubeconfig_path), "--older-than", "soon"]) == 2
    assert "--older-than 'soon' is not an age" in capsys.readouterr().err
    assert main(["--kubeconfig", str(tmp_path / "absent")]) == 2
    assert "no kubeconfig at" in capsys.readouterr().err
    assert main(["--kubeconfig", str(local.kubeconfig_path), "--context", "prod"]) == 2
    assert "has no context 'prod'; it has: budspec-local" in capsys.readouterr().err


def test_main_on_an_unreachable_cluster_says_so_without_a_traceback(tmp_path, capsys):
    gone = LocalCluster(run_controller=False, workdir=tmp_path).start()
    kubeconfig = gone.kubeconfig_path.read_text()
    gone.stop()
    (tmp_path / "kubeconfig").write_text(kubeconfig)
    assert main(["--kubeconfig", str(tmp_path / "kubeconfig")]) == 2
    assert "cannot reach the API server" in capsys.readouterr().err


def test_the_command_line_module_runs(tmp_path):
    result = subprocess.run([sys.executable, "-m", "support.sweep", "--kubeconfig", str(tmp_path / "absent")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith("sweep: no kubeconfig at")
    assert "Traceback" not in result.stderr
    usage = subprocess.run([sys.executable, "-m", "support.sweep", "--help"], capture_output=True, text=True,
                           timeout=30)
    assert usage.returncode == 0 and "--older-than AGE" in usage.stdout and "--dry-run" in usage.stdout


# -- stuck namespaces and the server's clock (audit items 7 and 9) ----------------------------------

def test_terminating_namespaces_of_the_suite_are_reported_with_what_holds_them():
    held = {"phase": "Terminating", "conditions": [
        {"type": "NamespaceContentRemaining", "status": "True",
         "message": "Some resources are remaining: budaiscalers.scaler.bud.studio has 1 resource instances"},
        {"type": "NamespaceFinalizersRemaining", "status": "True",
         "message": "Some content in the namespace has finalizers remaining: scaler.bud.studio/finalizer in 1 "
                    "resource instances"},
        {"type": "NamespaceDeletionDiscoveryFailure", "status": "False", "message": "All resources discovered"}]}
    namespaces = [
        ns("budspec-stuck", "2026-01-05T09:00:00Z", status=held, meta={"deletionTimestamp": "2026-01-05T10:50:00Z"}),
        ns("budspec-just-asked", "2026-01-05T09:00:00Z", meta={"deletionTimestamp": "2026-01-05T11:00:00Z"}),
        ns("someones-app", "2026-01-05T09:00:00Z", labels={}, status={"phase": "Terminating"}),
        ns("budspec-active", "2026-01-05T09:00:00Z"),
    ]
    stuck = select_stuck(namespaces, NOW)
    assert [(s.name, s.terminating_for) for s in stuck] == [("budspec-just-asked", 0.0), ("budspec-stuck", 600.0)]
    text = describe_stuck(stuck[1])
    assert "namespace budspec-stuck has been terminating for 10m" in text
    assert "budaiscalers.scaler.bud.studio has 1 resource instances" in text
    assert "is the controller running?" in text
    assert "no condition says why yet" in describe_stuck(stuck[0])


def test_the_sweep_reports_a_stuck_namespace_and_leaves_it_alone(cluster, landscape):
    class Stuck:
        def namespaces(self, selector):
            return cluster.namespaces(selector) + [ns("budspec-stuck", "2026-01-05T09:00:00Z",
                                                      status={"phase": "Terminating"})]

        def delete_namespace(self, name):
            assert name != "budspec-stuck", "a terminating namespace was deleted again"
            cluster.delete_namespace(name)

    out = io.StringIO()
    sweep(Stuck(), 30 * MINUTE, now=landscape, out=out)
    assert "namespace budspec-stuck has been terminating" in out.getvalue()


def test_ages_are_measured_on_the_api_servers_clock():
    from support.cluster import Cluster

    class Response:
        headers = {"Date": "Mon, 05 Jan 2026 11:00:00 GMT"}

        def release_conn(self):
            pass

    class Kube:
        def open(self, method, path, **kwargs):
            assert (method, path) == ("GET", "/version")
            return Response()

    far = Cluster.__new__(Cluster)  # a cluster whose clock is far from this machine's
    far.kube = Kube()
    assert server_time(far) == NOW
