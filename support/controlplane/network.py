"""The node's network: a bridge on the host and one network namespace per pod.

kube-apiserver proxies only to global-unicast pod addresses (never loopback or
link-local), so pods get addresses from POD_CIDR, each inside a network namespace
of its own (`ip netns`, a veth pair whose host end sits on the bridge), as a
kubelet with a bridge CNI plugin would set them up. Everything lives on this
machine: the bridge carries the node's address (the kubelet port, the pods'
gateway) and the kubernetes Service address (the in-cluster API endpoint);
the rest of SERVICE_CIDR is unreachable, so no packet for a Service or pod
address ever leaves the machine. IP forwarding is not needed and not enabled.

Addresses are from the benchmarking block 198.18.0.0/15 (RFC 2544): global
unicast, reserved for lab networks, never routed on the internet.

Services (services.py): each ClusterIP is put on the bridge as a /32 while its Service
exists, and the agent listens there; pods resolve `<svc>.<ns>.svc.cluster.local` through
the agent's DNS responder on the node address. Their resolver files live in
`/etc/netns/<netns>/`, which `ip netns exec` mounts over /etc for the pod's processes.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

BRIDGE = "budspec0"
POD_CIDR = ipaddress.ip_network("198.18.0.0/16")
NODE_IP = ipaddress.ip_address("198.18.0.1")      # the bridge: kubelet port and the pods' gateway
SERVICE_CIDR = ipaddress.ip_network("198.19.0.0/16")
KUBERNETES_SERVICE_IP = ipaddress.ip_address("198.19.0.1")
NETNS_PREFIX = "budspec-pod-"
NETNS_ETC = Path("/etc/netns")  # `ip netns exec NAME` bind-mounts NETNS_ETC/NAME/* over /etc/*
CLUSTER_DOMAIN = "cluster.local"


class NetworkError(RuntimeError):
    """An `ip` command failed; the message names it and what it said."""


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise NetworkError(f"`ip {' '.join(args)}` failed: {result.stderr.strip() or result.returncode}")
    return result


def is_proxyable(address: str) -> bool:
    """What kube-apiserver's IsProxyableIP accepts: not loopback, link-local or unspecified."""
    parsed = ipaddress.ip_address(address)
    return not (parsed.is_loopback or parsed.is_link_local or parsed.is_unspecified or parsed.is_multicast)


def bridge_exists() -> bool:
    return ip("link", "show", BRIDGE, check=False).returncode == 0


def set_up_bridge() -> None:
    """The bridge with the node and kubernetes Service addresses (idempotent)."""
    if not bridge_exists():
        ip("link", "add", BRIDGE, "type", "bridge")
    addresses = ip("-o", "addr", "show", "dev", BRIDGE).stdout
    for address in (f"{NODE_IP}/{POD_CIDR.prefixlen}", f"{KUBERNETES_SERVICE_IP}/32"):
        if f" {address} " not in addresses:
            ip("addr", "add", address, "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")
    if str(SERVICE_CIDR) not in ip("route", "show", "type", "unreachable").stdout:
        ip("route", "add", "unreachable", str(SERVICE_CIDR))


def bridge_owner() -> str:
    """The state directory of the control plane that claimed the node network ('' if none did).

    There is one node network per machine (one bridge, one node address), so a second control
    plane, or a test's, must not take it down under the one that runs: the bridge's alias says
    whose it is."""
    for line in ip("link", "show", BRIDGE, check=False).stdout.splitlines():
        if line.strip().startswith("alias "):
            return line.strip()[len("alias "):]
    return ""


def claim_bridge(owner: str) -> None:
    ip("link", "set", BRIDGE, "alias", owner)


def tear_down_bridge() -> None:
    """The node network and every pod namespace; a process still in one (its agent was killed) is killed."""
    for name in pod_namespaces():
        for pid in ip("netns", "pids", name, check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        delete_pod_network(name)
    for leftover in NETNS_ETC.glob(f"{NETNS_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    ip("route", "del", "unreachable", str(SERVICE_CIDR), check=False)
    if bridge_exists():
        ip("link", "del", BRIDGE)


def add_service_address(address: str) -> None:
    """Put a Service's ClusterIP on the bridge (idempotent), so pods' packets to it stay on the node."""
    if ipaddress.ip_address(address) not in SERVICE_CIDR:
        raise NetworkError(f"service address {address} is not in {SERVICE_CIDR}")
    if f" {address}/32 " not in ip("-o", "addr", "show", "dev", BRIDGE).stdout:
        ip("addr", "add", f"{address}/32", "dev", BRIDGE)


def remove_service_address(address: str) -> None:
    if address != str(KUBERNETES_SERVICE_IP):
        ip("addr", "del", f"{address}/32", "dev", BRIDGE, check=False)


def pod_namespaces() -> list[str]:
    listed = ip("netns", "list", check=False).stdout.split("\n")
    return [line.split()[0] for line in listed if line.startswith(NETNS_PREFIX)]


@dataclass(frozen=True)
class PodNetwork:
    netns: str
    address: str
    host_interface: str


def netns_name(pod_uid: str) -> str:
    return NETNS_PREFIX + pod_uid.replace("-", "")[:16]


def _host_interface(pod_uid: str) -> str:
    return "bsp" + hashlib.sha256(pod_uid.encode()).hexdigest()[:11]  # interface names are at most 15 bytes


def resolver_files(namespace: str) -> dict[str, str]:
    """A pod's /etc/resolv.conf and nsswitch.conf, as a kubelet with ClusterFirst DNS writes them.

    Only the node's DNS responder is asked (names outside the cluster do not resolve), and hosts
    are looked up in files then DNS: the machine's own nsswitch may send `.local` names to mDNS.
    """
    search = f"{namespace}.svc.{CLUSTER_DOMAIN} svc.{CLUSTER_DOMAIN} {CLUSTER_DOMAIN}"
    return {"resolv.conf": f"nameserver {NODE_IP}\nsearch {search}\noptions ndots:5 timeout:2 attempts:3\n",
            "nsswitch.conf": "hosts: files dns\n"}


def create_pod_network(pod_uid: str, address: str, namespace: str = "default") -> PodNetwork:
    """A network namespace whose eth0 has `address`, bridged to the node; removed again on failure."""
    if not is_proxyable(address) or ipaddress.ip_address(address) not in POD_CIDR:
        raise NetworkError(f"pod address {address} must be a global unicast address in {POD_CIDR}")
    network = PodNetwork(netns_name(pod_uid), address, _host_interface(pod_uid))
    delete_pod_network(network.netns)  # a namespace left by a crashed agent for the same pod
    try:
        ip("netns", "add", network.netns)
        ip("link", "add", network.host_interface, "type", "veth", "peer", "name", "eth0", "netns", network.netns)
        ip("link", "set", network.host_interface, "master", BRIDGE, "up")
        ip("-n", network.netns, "addr", "add", f"{address}/{POD_CIDR.prefixlen}", "dev", "eth0")
        ip("-n", network.netns, "link", "set", "lo", "up")
        ip("-n", network.netns, "link", "set", "eth0", "up")
        ip("-n", network.netns, "route", "add", "default", "via", str(NODE_IP))
        etc = NETNS_ETC / network.netns
        etc.mkdir(parents=True, exist_ok=True)
        for name, text in resolver_files(namespace).items():
            (etc / name).write_text(text)
    except (NetworkError, OSError):
        delete_pod_network(network.netns)
        raise
    return network


def delete_pod_network(netns: str) -> None:
    """Remove a pod's veth pair, then its namespace.

    Deleting the namespace alone also removes the pair, but the kernel does that
    asynchronously: the host end can outlive the call, so it is deleted first.
    """
    if netns in pod_namespaces():
        ip("-n", netns, "link", "del", "eth0", check=False)
    ip("netns", "del", netns, check=False)
    shutil.rmtree(NETNS_ETC / netns, ignore_errors=True)


class AddressPool:
    """Pod addresses from POD_CIDR, above the node's own 198.18.0.0/24."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: set[str] = set()
        self._hosts = (str(host) for host in POD_CIDR.hosts() if int(host) >= int(NODE_IP) + 256)

    def claim(self, address: str) -> None:
        """Mark an address in use (a pod the agent finds already running after a restart)."""
        with self._lock:
            self._used.add(address)

    def allocate(self) -> str:
        with self._lock:
            for host in self._hosts:
                if host not in self._used:
                    self._used.add(host)
                    return host
            self._hosts = (str(h) for h in POD_CIDR.hosts() if int(h) >= int(NODE_IP) + 256)
            for host in self._hosts:  # wrapped around: reuse freed addresses
                if host not in self._used:
                    self._used.add(host)
                    return host
        raise NetworkError(f"no free pod address left in {POD_CIDR}")

    def release(self, address: str) -> None:
        with self._lock:
            self._used.discard(address)
