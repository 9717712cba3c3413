"""Kubeconfig files for the control plane's identities, each self-contained (certificates embedded)."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

CLUSTER = "budspec-controlplane"


def _data(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def kubeconfig(server: str, ca: Path, cert: Path, key: Path, user: str) -> dict:
    return {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": CLUSTER, "cluster": {"server": server, "certificate-authority-data": _data(ca)}}],
        "users": [{"name": user, "user": {"client-certificate-data": _data(cert), "client-key-data": _data(key)}}],
        "contexts": [{"name": f"{user}@{CLUSTER}", "context": {"cluster": CLUSTER, "user": user}}],
        "current-context": f"{user}@{CLUSTER}",
    }


def write(path: Path, server: str, pki: Path, identity: str) -> Path:
    """`identity` names the pki files (admin, suite, node, controller-manager)."""
    config = kubeconfig(server, pki / "ca.crt", pki / f"{identity}.crt", pki / f"{identity}.key", identity)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path
