"""The embedded local cluster: store + API server + workloads (+ the reference controller).

    with LocalCluster(run_controller=False) as cluster:
        api = kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig_path))

`start()` brings up a real Kubernetes API server on 127.0.0.1 with a generated
kubeconfig, the usual namespaces, the BudAIScaler CRD and (optionally) the
controller Deployment whose container runs the reference controller. Time is
the VirtualClock `cluster.clock`: nothing happens until someone advances it.
"""

from __future__ import annotations

import copy
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from support.clock import VirtualClock
from support.localcluster import schema
from support.localcluster.apiserver import ApiServer
from support.localcluster.kubeconfig import LOOPBACK_CERT, write_kubeconfig, write_tls_files
from support.localcluster.store import HISTORY_PER_KIND, Store

CRD_PATH = Path(__file__).with_name("budaiscaler-crd.yaml")
CRD_NAME = "budaiscalers.scaler.bud.studio"
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "budaiscaler-system")
CONTROLLER_NAMESPACE = "budaiscaler-system"
CONTROLLER_NAME = "budaiscaler-controller-manager"
CONTROLLER_IMAGE = "ghcr.io/budecosystem/budaiscaler:reference"


def crd_manifest() -> dict:
    return yaml.safe_load(CRD_PATH.read_text())


class LocalCluster:
    def __init__(self, *, clock: VirtualClock | None = None, model: str = "contract", port: int = 0,
                 workdir: Path | None = None, start_delay: float = 1.0, ready_delay: float = 3.0,
                 run_controller: bool = True, tls: bool = True, watch_history: int = HISTORY_PER_KIND):
        self.clock = clock or VirtualClock()
        self.model, self.port = model, port
        self.start_delay, self.ready_delay = start_delay, ready_delay
        self.run_controller, self.tls = run_controller, tls
        self.watch_history = watch_history  # changes kept per kind for watches resuming from a resourceVersion
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else None
        self.token = secrets.token_hex(24)
        self.store: Store | None = None
        self.workloads: Any = None
        self.server_url = ""
        self.kubeconfig_path: Path | None = None
        self.ca_path: Path | None = None  # the CA to verify server_url with (None when tls=False)
        self._server: Any = None
        self._stopped = False

    def start(self) -> "LocalCluster":
        from support.localcluster.workloads import Workloads  # imported late: it imports this package

        self.store = Store(self.clock, history=self.watch_history)
        self.workloads = Workloads(self)
        self.workloads.start()
        try:
            self._bring_up()
        except BaseException:
            self.stop()
            raise
        self.clock.run_due()
        return self

    def _bring_up(self) -> None:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="budspec-cluster-"))
        tls_files = write_tls_files(self.workdir) if self.tls else None
        self.ca_path = tls_files[0] if tls_files else None
        self._server = ApiServer(self, self.token, port=self.port, tls_files=tls_files).start()
        self.server_url = self._server.url
        self.kubeconfig_path = write_kubeconfig(self.workdir / "kubeconfig", self.server_url, self.token,
                                                LOOPBACK_CERT if self.tls else None)
        for name in SYSTEM_NAMESPACES:
            self.create("Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        self.install_crd()
        if self.run_controller:
            self._start_controller()

    def stop(self) -> None:
        """Shut the API server and every running container down (safe to call twice)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.workloads is not None and not self._stopped:
            self.workloads.stop()
        self._stopped = True
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers for start-up and tests -------------------------------------------------
    def create(self, kind: str, obj: dict) -> dict:
        """Create straight in the store, with the API server's built-in defaults."""
        return self.store.create(kind, schema.default_builtin(kind, copy.deepcopy(obj)))

    def install_crd(self) -> dict:
        if self.store.get("CustomResourceDefinition", None, CRD_NAME) is not None:
            return self.store.must_get("CustomResourceDefinition", None, CRD_NAME)
        crd = crd_manifest()
        crd["status"] = {"acceptedNames": crd["spec"]["names"], "storedVersions": ["v1alpha1"],
                         "conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                                         "message": "the initial names have been accepted"}]}
        return self.store.create("CustomResourceDefinition", crd)

    def uninstall_crd(self) -> None:
        """Delete the CRD (and every BudAIScaler with it): a cluster without BudAIScaler installed."""
        self._server.api.delete_object("CustomResourceDefinition", None, CRD_NAME)

    def _start_controller(self) -> None:
        from support.localcluster import controller  # a broken operator import fails the start, with its traceback

        if controller.runner_for(controller.IMAGE) is None:
            controller.register()
        labels = {"control-plane": "controller-manager", "app.kubernetes.io/name": "budaiscaler"}
        self.create("Deployment", {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": CONTROLLER_NAME, "namespace": CONTROLLER_NAMESPACE, "labels": dict(labels)},
            "spec": {"replicas": 1, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)},
                                  "spec": {"containers": [{"name": "manager", "image": CONTROLLER_IMAGE,
                                                           "args": [f"--model={self.model}"]}]}}}})
