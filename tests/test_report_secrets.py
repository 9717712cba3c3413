"""Nothing secret leaks: a failing run against a cluster whose kubeconfig carries a token and a client
key, with the token also planted in an event of the scenario's namespace (so diagnostics would copy it),
leaves the token and the key in none of its reports, diagnostics, logs or banner."""

from __future__ import annotations

import base64
from pathlib import Path

import kubernetes
import yaml
from conftest import run_behave

from support.localcluster.kubeconfig import LOOPBACK_CERT, LOOPBACK_KEY

FAILING = "tests/features/deliberately_failing.feature"
NAMESPACE = "budspec-secrets-test"


def _planted_kubeconfig(served, path: Path) -> tuple[Path, list[str]]:
    """The served cluster's kubeconfig plus a client certificate and key; the secrets to look for."""
    config = yaml.safe_load(served.kubeconfig.read_text())
    user = config["users"][0]["user"]
    user["client-certificate-data"] = base64.b64encode(LOOPBACK_CERT.encode()).decode()
    user["client-key-data"] = base64.b64encode(LOOPBACK_KEY.encode()).decode()
    path.write_text(yaml.safe_dump(config))
    key_lines = [line for line in LOOPBACK_KEY.splitlines() if not line.startswith("-----")]
    return path, [user["token"], user["client-key-data"], *key_lines]


def _plant_event(served, token: str) -> None:
    api = kubernetes.config.new_client_from_config(config_file=str(served.kubeconfig))
    core = kubernetes.client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": NAMESPACE, "labels": {"purpose": "secrets-test"}}})
    core.create_namespaced_event(NAMESPACE, {
        "metadata": {"name": "planted"}, "type": "Warning", "reason": "Planted",
        "involvedObject": {"kind": "Namespace", "name": NAMESPACE},
        "message": f"login with Authorization: Bearer {token} and token={token}"})
    api.close()


def _delete_namespace(served) -> None:
    api = kubernetes.config.new_client_from_config(config_file=str(served.kubeconfig))
    try:
        kubernetes.client.CoreV1Api(api).delete_namespace(NAMESPACE)
    finally:
        api.close()


def test_a_failing_run_writes_no_token_and_no_key_anywhere(served_cluster, tmp_path):
    kubeconfig, secrets = _planted_kubeconfig(served_cluster, tmp_path / "kubeconfig")
    _plant_event(served_cluster, secrets[0])
    try:
        result = run_behave("-D", "target=cluster", "-D", f"kubeconfig={kubeconfig}", "-D", f"namespace={NAMESPACE}",
                            FAILING, artifacts=tmp_path / "artifacts", timeout=300)
    finally:
        _delete_namespace(served_cluster)

    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    written = [p for folder in ("reports", "artifacts") for p in (tmp_path / folder).rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert {"report.html", "run.json", "junit.xml", "events.txt", "controller.log", "budaiscalers.yaml"} <= names
    events = next(p for p in written if p.name == "events.txt").read_text()
    assert "Planted" in events and "[redacted]" in events, "the planted event was collected, masked"
    artifacts = {str(p): p.read_text(errors="replace") for p in written}
    artifacts["stdout (with the banner)"] = result.stdout
    artifacts["stderr"] = result.stderr
    assert "target:    cluster" in result.stdout
    for where, text in artifacts.items():
        for secret in secrets:
            assert secret not in text, f"a secret ({secret[:6]}...) leaked into {where}"
