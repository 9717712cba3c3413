"""`make controlplane`: etcd, kube-apiserver, kube-controller-manager and the node agent on this machine.

    python -m support.controlplane up      # build if needed, start, install BudAIScaler, print the kubeconfigs
    python -m support.controlplane up --bare   # the same without BudAIScaler (to run your own controller)
    python -m support.controlplane down    # stop everything, remove its data
    python -m support.controlplane status

Everything lives in one state directory ($BUDSPEC_CONTROLPLANE_DIR, default
/tmp/budaiscaler-spec-controlplane): certificates, etcd's data, logs, kubeconfigs and
state.json (ports and pids). One control plane per machine: the node's bridge and pod
addresses are machine-wide.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from hamcrest import is_in

from support.clock import RealClock
from support.controlplane import binaries, bootstrap, kubeconfigs, network, processes
from support.waiting import Poller

NODE_NAME = "budspec-node"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
CONTROLLERS = ("deployment-controller", "replicaset-controller", "statefulset-controller", "namespace-controller",
               "garbage-collector-controller", "serviceaccount-controller", "serviceaccount-token-controller",
               "root-ca-certificate-publisher-controller")
START_TIMEOUT = 120.0


def state_dir() -> Path:
    return Path(os.environ.get("BUDSPEC_CONTROLPLANE_DIR") or "/tmp/budaiscaler-spec-controlplane")


@dataclass
class State:
    directory: Path
    etcd_port: int = 0
    apiserver_port: int = 0
    processes: list[processes.Process] = field(default_factory=list)

    @property
    def pki(self) -> Path:
        return self.directory / "pki"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.apiserver_port}"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.directory / "admin.kubeconfig"

    @property
    def suite_kubeconfig(self) -> Path:
        return self.directory / "suite.kubeconfig"

    def kubeconfig(self, identity: str) -> Path:
        return self.directory / f"{identity}.kubeconfig"

    def log(self, name: str) -> Path:
        return self.directory / "logs" / f"{name}.log"

    def save(self) -> None:
        data = {"etcd_port": self.etcd_port, "apiserver_port": self.apiserver_port,
                "processes": [p.to_dict() for p in self.processes]}
        (self.directory / "state.json").write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, directory: Path) -> "State | None":
        try:
            data = json.loads((directory / "state.json").read_text())
        except (OSError, ValueError):
            return None
        return cls(directory, data["etcd_port"], data["apiserver_port"],
                   [processes.Process(**p) for p in data["processes"]])

    def running(self) -> bool:
        return bool(self.processes) and all(processes.is_running(p) for p in self.processes)


class ControlPlaneError(RuntimeError):
    """The control plane did not come up; the message says which part and shows its log."""


def up(log=print, budaiscaler: bool = True) -> State:
    """Start the control plane (building it first if needed); a running one is reused.

    With `budaiscaler`, also install the BudAIScaler CRD and the reference operator as its controller.
    """
    directory = state_dir()
    existing = State.load(directory)
    if existing is not None and existing.running() and _healthy(existing):
        log("the control plane is already running")
        return existing
    if other := other_control_plane(directory):
        raise ControlPlaneError(
            f"another control plane is running on this machine, from {other}, and there is one node network "
            f"({network.BRIDGE}) per machine: use it (BUDSPEC_CONTROLPLANE_DIR={other}, or make ... "
            f"CONTROLPLANE_DIR={other}) or take it down first (make controlplane-down CONTROLPLANE_DIR={other})")
    if existing is not None or directory.exists():
        down(log=lambda *_: None)  # a half-dead one: start clean
    built = binaries.ensure_built(log=log)
    state = State(directory)
    directory.mkdir(parents=True)
    try:
        _start(state, built, log)
    except BaseException:
        state.save()
        raise
    state.save()
    network.claim_bridge(str(directory))
    if budaiscaler:
        install_budaiscaler(state, log)
    return state


def install_budaiscaler(state: State, log=print) -> None:
    bootstrap.install_budaiscaler(state.admin_kubeconfig)
    _wait(lambda: bootstrap.crd_established(state.admin_kubeconfig), "the BudAIScaler CRD to be established",
          state, "kube-apiserver")
    _wait(lambda: bootstrap.controller_ready(state.admin_kubeconfig),
          "the reference operator (budaiscaler-system/budaiscaler-controller-manager) to be Ready", state, "node-agent")
    log("BudAIScaler installed: the controller-gen CRD and the reference operator as its controller")


def _start(state: State, built: binaries.Binaries, log) -> None:
    _run([str(built.path("pki")), "-dir", str(state.pki), "-node", NODE_NAME, "-node-ip", str(network.NODE_IP),
          "-service-ip", str(network.KUBERNETES_SERVICE_IP)], "pki")
    state.etcd_port, state.apiserver_port = _free_port(), _free_port()
    for identity in ("admin", "suite", "controller-manager", "node"):
        kubeconfigs.write(state.kubeconfig(identity), state.server, state.pki, identity)
    state.processes.append(_spawn(state, "etcd", _etcd_argv(state, built)))
    _wait(lambda: _etcd_healthy(state), "etcd to answer /health", state, "etcd")
    state.processes.append(_spawn(state, "kube-apiserver", _apiserver_argv(state, built)))
    _wait(lambda: _healthy(state), "kube-apiserver to be ready (/readyz)", state, "kube-apiserver")
    bootstrap.install_cluster_roles(state.admin_kubeconfig, NODE_NAME)
    state.processes.append(_spawn(state, "kube-controller-manager", _controller_manager_argv(state, built)))
    _wait(lambda: bootstrap.has_default_service_account(state.admin_kubeconfig),
          "kube-controller-manager to create the default ServiceAccount", state, "kube-controller-manager")
    state.processes.append(_spawn(state, "node-agent", _node_agent_argv(state)))
    _wait(lambda: bootstrap.node_ready(state.admin_kubeconfig, NODE_NAME),
          f"the node agent to register {NODE_NAME} as Ready", state, "node-agent")
    log(f"control plane up: {state.server} (Kubernetes {binaries.kubernetes_version()})")


def down(log=print) -> None:
    """Stop every process (node agent first, etcd last) and remove the state directory."""
    directory = state_dir()
    state = State.load(directory)
    if state is not None:
        for process in reversed(state.processes):
            if processes.stop(process, grace=30.0 if process.name == "node-agent" else 10.0):
                log(f"stopped {process.name} (pid {process.pid})")
    if other := other_control_plane(directory):
        log(f"left the node network ({network.BRIDGE}): it is the control plane's running from {other}")
    elif network.bridge_exists() or network.pod_namespaces():
        network.tear_down_bridge()
        log(f"removed the node network ({network.BRIDGE} and the pod namespaces)")
    if directory.exists():
        shutil.rmtree(directory)
        log(f"removed {directory}")


def other_control_plane(directory: Path) -> str:
    """The state directory of a running control plane other than `directory` whose node network is
    up here ('' if none): its network is not ours to take down or to start a second one on."""
    owner = network.bridge_owner() if network.bridge_exists() else ""
    if not owner or Path(owner) == directory:
        return ""
    other = State.load(Path(owner))
    return owner if other is not None and other.running() else ""


def describe(state: State) -> str:
    return "\n".join([
        f"server:           {state.server}",
        f"kubeconfig:       {state.admin_kubeconfig}   (cluster admin)",
        f"suite kubeconfig: {state.suite_kubeconfig}   (user budaiscaler-spec, bound only to deploy/rbac.yaml)",
        f"logs:             {state.directory / 'logs'}",
        f"  export KUBECONFIG={state.admin_kubeconfig}",
    ])


# -- the programs' command lines -------------------------------------------------------

def _etcd_argv(state: State, built: binaries.Binaries) -> list[str]:
    client = f"http://127.0.0.1:{state.etcd_port}"
    peer = f"http://127.0.0.1:{_free_port()}"
    return [str(built.path("etcd")), "--name=budspec", f"--data-dir={state.directory / 'etcd'}",
            f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=budspec={peer}", "--unsafe-no-fsync=true",  # data is thrown away at `down`
            "--log-level=warn"]


def _apiserver_argv(state: State, built: binaries.Binaries) -> list[str]:
    pki = state.pki
    admission = bootstrap.write_admission_config(state.directory / "admission.yaml")
    return [str(built.path("kube-apiserver")),
            f"--etcd-servers=http://127.0.0.1:{state.etcd_port}",
            "--bind-address=127.0.0.1", f"--secure-port={state.apiserver_port}", "--advertise-address=127.0.0.1",
            "--endpoint-reconciler-type=none",
            f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
            f"--admission-control-config-file={admission}",
            f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
            f"--service-account-key-file={pki / 'sa.pub'}", f"--service-account-signing-key-file={pki / 'sa.key'}",
            f"--service-cluster-ip-range={network.SERVICE_CIDR}",
            f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
            f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
            f"--kubelet-certificate-authority={pki / 'ca.crt'}",
            "--kubelet-preferred-address-types=InternalIP",
            "--allow-privileged=false", "--profiling=false", "--v=1"]


def _controller_manager_argv(state: State, built: binaries.Binaries) -> list[str]:
    kubeconfig = state.kubeconfig("controller-manager")
    return [str(built.path("kube-controller-manager")), f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}", f"--authorization-kubeconfig={kubeconfig}",
            "--bind-address=127.0.0.1", "--secure-port=0",
            f"--controllers={','.join(CONTROLLERS)}", "--use-service-account-credentials=true",
            f"--service-account-private-key-file={state.pki / 'sa.key'}",
            f"--root-ca-file={state.pki / 'ca.crt'}", "--leader-elect=false",
            "--kube-api-qps=100", "--kube-api-burst=200", "--v=1"]


def _node_agent_argv(state: State) -> list[str]:
    return [sys.executable, "-m", "support.controlplane.node", "--kubeconfig", str(state.kubeconfig("node")),
            "--node-name", NODE_NAME, "--pki", str(state.pki)]


# -- helpers -------------------------------------------------------------------------------

def _spawn(state: State, name: str, argv: list[str]) -> processes.Process:
    return processes.start(name, argv, state.log(name), cwd=binaries.ROOT)


def _run(argv: list[str], name: str) -> None:
    import subprocess
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise ControlPlaneError(f"{name} failed: {result.stderr.strip()}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(probe, what: str, state: State, name: str) -> None:
    """Wait for `probe()` to be true; fail at once, with its log, if the process `name` exits meanwhile."""
    process = next((p for p in state.processes if p.name == name), None)

    def observe() -> str:
        if process is not None and not processes.is_running(process):
            return "exited"
        return "ready" if probe() else "not yet"

    try:
        outcome = Poller(RealClock(), interval=0.25).eventually(observe, is_in(["ready", "exited"]),
                                                                within=START_TIMEOUT, what=what)
    except AssertionError as error:
        outcome, reason = "timed out", str(error)
    else:
        reason = f"{name} exited while waiting for {what}"
    if outcome != "ready":
        raise ControlPlaneError(f"{reason}\n--- last lines of {state.log(name)}:\n{processes.tail(state.log(name))}")


def _etcd_healthy(state: State) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{state.etcd_port}/health", timeout=2) as response:
        return json.loads(response.read()).get("health") == "true"


def _healthy(state: State) -> bool:
    context = ssl.create_default_context(cafile=str(state.pki / "ca.crt"))
    context.load_cert_chain(str(state.pki / "admin.crt"), str(state.pki / "admin.key"))
    try:
        with urllib.request.urlopen(f"{state.server}/readyz", timeout=2, context=context) as response:
            return response.status == 200
    except OSError:
        return False
