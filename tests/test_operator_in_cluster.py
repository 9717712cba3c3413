"""The reference operator in a pod uses the pod's service account (issue 7: the controller image)."""

from __future__ import annotations

from pathlib import Path

from support.operator.main import in_cluster, parse_args

POD = {"KUBERNETES_SERVICE_HOST": "198.19.0.1", "KUBERNETES_SERVICE_PORT": "443"}


def test_in_a_pod_without_a_kubeconfig_it_uses_the_service_account():
    assert in_cluster(parse_args([]), POD)


def test_a_kubeconfig_named_on_the_command_line_or_in_the_environment_wins():
    assert not in_cluster(parse_args(["--kubeconfig", "k"]), POD)
    assert not in_cluster(parse_args([]), {**POD, "KUBECONFIG": str(Path("k"))})


def test_outside_a_pod_it_reads_the_default_kubeconfig():
    assert not in_cluster(parse_args([]), {})
