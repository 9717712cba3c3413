"""The embedded local cluster: store + API server + built-in controllers + node (+ the BudAIScaler controller).

    with LocalCluster(run_controller=False) as cluster:
        api = kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig_path))

`start()` wires the parts explicitly: the store, the work queue the in-process
controllers and the node agent share, the node's image registry, the controllers,
and a real Kubernetes API server on 127.0.0.1 with a generated kubeconfig; then the
usual namespaces, the BudAIScaler CRD and (optionally) the controller Deployment
whose container runs the reference controller. Time is the VirtualClock
`cluster.clock`: nothing happens until someone advances it.
"""

from __future__ import annotations

import copy
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml

from support.clock import VirtualClock
from support.localcluster import schema
from support.localcluster.access import EventRecorder, WorkQueue
from support.localcluster.apiserver import Api, ApiServer
from support.localcluster.apiserver.metrics import MetricsApis
from support.localcluster.apiserver.request import Request
from support.chaos import ChaosPlan
from support.localcluster.chaos import ApiFaults, Disruptions
from support.localcluster.controllers.deployments import DeploymentController
from support.localcluster.controllers.garbage import GarbageCollector
from support.localcluster.controllers.horizontal import HorizontalController
from support.localcluster.controllers.namespaces import NamespaceController
from support.localcluster.controllers.replicasets import ReplicaSetController
from support.localcluster.controllers.statefulsets import StatefulSetController
from support.localcluster.kubeconfig import LOOPBACK_CERT, write_kubeconfig, write_tls_files
from support.localcluster.node import images
from support.localcluster.node.agent import NODE_NAME, NodeAgent, NodeConfig
from support.localcluster.node.containers import ImageRegistry, Runner
from support.localcluster.node.request_network import RequestNetwork
from support.localcluster.node.usage import PodReader
from support.localcluster.store import HISTORY_PER_KIND, Store

CRD_PATH = Path(__file__).with_name("budaiscaler-crd.yaml")
CRD_NAME = "budaiscalers.scaler.bud.studio"
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "budaiscaler-system")
CONTROLLER_NAMESPACE = "budaiscaler-system"
CONTROLLER_NAME = "budaiscaler-controller-manager"
CONTROLLER_IMAGE = "ghcr.io/budecosystem/budaiscaler:reference"
SUITE_NAMESPACE_LABEL = ("app.kubernetes.io/managed-by", "budaiscaler-spec")


class Component(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


def crd_manifest() -> dict:
    return yaml.safe_load(CRD_PATH.read_text())


@dataclass
class ClusterParts:
    """Everything of a cluster but its API server: the store, and what reacts to it in-process."""

    store: Store
    queue: WorkQueue
    images: ImageRegistry
    node: NodeAgent
    metrics: MetricsApis  # metrics.k8s.io and custom.metrics.k8s.io, from what the node reads of its pods
    components: list[Component] = field(default_factory=list)  # started in order, stopped in reverse

    def start(self) -> None:
        for component in self.components:
            component.start()

    def stop(self) -> None:
        self.queue.stopped = True
        for component in reversed(self.components):
            component.stop()


def wire(clock: VirtualClock, *, start_delay: float = 1.0, ready_delay: float = 3.0, listen_delay: float = 1.0,
         seed: int = 0,
         kubeconfig: Path | None = None, history: int = HISTORY_PER_KIND,
         extra_images: dict[str, Runner] | None = None) -> ClusterParts:
    """The store, the built-in controllers and the node, wired explicitly (not started)."""
    store, queue = Store(clock, history=history), WorkQueue()
    registry = images.emulated()
    for prefix, runner in (extra_images or {}).items():
        registry.register(prefix, runner)
    network = RequestNetwork(store, clock, images.engine_params)
    node = NodeAgent(store, clock, queue, registry, NodeConfig(NODE_NAME, start_delay, ready_delay, listen_delay, seed, kubeconfig),
                     network=network)
    events = EventRecorder(store, clock, NODE_NAME)
    metrics = MetricsApis(store, clock.now, PodReader())
    controllers: list[Component] = [DeploymentController(store, clock, queue, events),
                                    ReplicaSetController(store, queue, events, NODE_NAME, seed),
                                    StatefulSetController(store, queue, events, NODE_NAME),
                                    NamespaceController(store, clock, queue), GarbageCollector(store, queue),
                                    HorizontalController(store, clock, queue, events, metrics)]
    return ClusterParts(store, queue, registry, node, metrics, [*controllers, network, node])


class LocalCluster:
    def __init__(self, *, clock: VirtualClock | None = None, model: str = "contract", quirks=None, port: int = 0,
                 workdir: Path | None = None, start_delay: float = 1.0, ready_delay: float = 3.0,
                 listen_delay: float = 1.0,
                 run_controller: bool = True, tls: bool = True, watch_history: int = HISTORY_PER_KIND,
                 seed: int = 0, chaos: ChaosPlan | None = None):
        self.clock = clock or VirtualClock()
        self.model, self.port = model, port
        self.quirks = None if quirks is None else sorted(quirks)  # as-built with only these quirks (None: all)
        self.start_delay, self.ready_delay, self.listen_delay = start_delay, ready_delay, listen_delay
        self.run_controller, self.tls = run_controller, tls
        self.watch_history = watch_history  # changes kept per kind for watches resuming from a resourceVersion
        self.seed = seed
        self.chaos = chaos  # -D chaos: API faults and mid-scenario disruptions (None: none)
        self.disruptions: Disruptions | None = None
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else None
        self.token = secrets.token_hex(24)
        self.parts: ClusterParts | None = None
        self.server_url = ""
        self.kubeconfig_path: Path | None = None
        self.ca_path: Path | None = None  # the CA to verify server_url with (None when tls=False)
        self._server: ApiServer | None = None
        self._stopped = False

    @property
    def store(self) -> Store:
        return self.parts.store

    @property
    def node(self) -> NodeAgent:
        return self.parts.node

    def start(self) -> "LocalCluster":
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="budspec-cluster-"))
        self.kubeconfig_path = self.workdir / "kubeconfig"
        self.parts = wire(self.clock, start_delay=self.start_delay, ready_delay=self.ready_delay,
                          listen_delay=self.listen_delay, seed=self.seed,
                          kubeconfig=self.kubeconfig_path, history=self.watch_history,
                          extra_images=self._controller_image())
        try:
            self.parts.start()
            self._bring_up()
        except BaseException:
            self.stop()
            raise
        self.clock.run_due()
        return self

    def _controller_image(self) -> dict[str, Runner]:
        if not self.run_controller:
            return {}
        from support.localcluster import controller  # the operator: imported only by a cluster that runs it

        return {controller.IMAGE: controller.image()}

    def _bring_up(self) -> None:
        tls_files = write_tls_files(self.workdir) if self.tls else None
        self.ca_path = tls_files[0] if tls_files else None
        api = Api(self.store, self.clock, self.token, logs=self.node, address=lambda: self.server_url,
                  metrics=self.parts.metrics)
        self._server = ApiServer(api, port=self.port, tls_files=tls_files).start()
        self.server_url = self._server.url
        write_kubeconfig(self.kubeconfig_path, self.server_url, self.token, LOOPBACK_CERT if self.tls else None)
        for name in SYSTEM_NAMESPACES:
            self.create("Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        self.install_crd()
        if self.run_controller:
            self._start_controller()
        if self.chaos is not None:
            self._start_chaos(api)

    def chaos_summary(self) -> str:
        """What the chaos injected so far, e.g. `429 x12, 500 x7, latency x20, pod-kill x2`."""
        faults = self._server.api.faults if self._server is not None else None
        counts = {**(faults.injected if faults is not None else {}),
                  **(self.disruptions.happened if self.disruptions is not None else {})}
        injected = ", ".join(f"{what} x{n}" for what, n in sorted(counts.items())) or "nothing injected yet"
        return f"{injected}; suite namespaces not deleted: {', '.join(self.suite_namespaces_left()) or 'none'}"

    @property
    def api(self) -> Api:
        """The running API server's router: its `faults` hook and open `watches` (tests inject faults there)."""
        if self._server is None:
            raise RuntimeError("the embedded cluster is not serving: start() it first")
        return self._server.api

    def suite_namespaces_left(self) -> list[str]:
        """Namespaces the suite created (by its label) that nobody asked to delete."""
        key, value = SUITE_NAMESPACE_LABEL
        return sorted(n["metadata"]["name"] for n in self.store.list("Namespace", None)
                      if n["metadata"].get("labels", {}).get(key) == value and not n["metadata"].get("deletionTimestamp"))

    def _start_chaos(self, api: Api) -> None:
        api.faults = ApiFaults(self.chaos)

        def delete_pod(namespace: str, name: str) -> None:  # as `kubectl delete pod` would, through the API
            api.handle(Request("DELETE", f"/api/v1/namespaces/{namespace}/pods/{name}", {},
                               headers={"authorization": f"Bearer {self.token}"}))
        self.disruptions = Disruptions(self.chaos, self.clock, self.store, api, delete_pod)
        self.disruptions.start()

    def stop(self) -> None:
        """Shut the API server, the controllers and every running container down (safe to call twice)."""
        if self.disruptions is not None:
            self.disruptions.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if not self._stopped and self.parts is not None:
            self.parts.stop()
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
        self.store.delete("CustomResourceDefinition", None, CRD_NAME)

    def _start_controller(self) -> None:
        labels = {"control-plane": "controller-manager", "app.kubernetes.io/name": "budaiscaler"}
        self.create("Deployment", {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": CONTROLLER_NAME, "namespace": CONTROLLER_NAMESPACE, "labels": dict(labels)},
            "spec": {"replicas": 1, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)},
                                  "spec": {"containers": [{"name": "manager", "image": CONTROLLER_IMAGE,
                                                           "args": self._controller_args()}]}}}})

    def _controller_args(self) -> list[str]:
        quirks = [] if self.quirks is None else [f"--quirks={','.join(self.quirks)}"]
        return [f"--model={self.model}", *quirks]
