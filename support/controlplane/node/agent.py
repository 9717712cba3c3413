"""The node agent: a kubelet stand-in for the project's control plane.

It registers a Ready Node and keeps its Lease, binds every pod that waits for the default
scheduler to itself (there is no scheduler), runs the pods bound to it (pods.py), answers
the kubelet port for `pods/log`, relays the kubernetes Service to the API server, and stands in
for kube-proxy and cluster DNS (services.py, dns.py): pods reach Services by ClusterIP and name.
On SIGTERM it stops every pod and removes the node's network.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from kubernetes.client.exceptions import ApiException

from support.controlplane import network
from support.controlplane.node import kubelet_server
from support.controlplane.node.api import ApiStore, NodeApi
from support.controlplane.node.dns import DnsResponder
from support.controlplane.node.pods import ContainerState, PodRuntime
from support.controlplane.node.service_proxy import ServiceProxy
from support.controlplane.node.services import ServiceTable

KUBELET_PORT = 10250
SERVICE_PORT = 443
LEASE_RENEW = 10.0
RETRY = 2.0
CAPACITY = {"cpu": "16", "memory": "64Gi", "pods": "250", "ephemeral-storage": "100Gi"}
SHUTDOWN_GRACE = 5.0


class Agent:
    def __init__(self, kubeconfig: str, node_name: str, pki: Path, log_dir: Path):
        self.node_name, self.pki, self.log_dir = node_name, pki, log_dir
        self.api = NodeApi(kubeconfig, node_name)
        self.store = ApiStore(self.api)  # what the container runner's prepare() reads ConfigMaps through
        self.addresses = network.AddressPool()
        self.pods: dict[str, PodRuntime] = {}
        self._pods_lock = threading.Lock()
        self._stop = threading.Event()
        self._kubelet = None
        self._service: ServiceProxy | None = None
        self.services = ServiceTable(self, self.say)
        self._dns: DnsResponder | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def run(self) -> None:
        network.set_up_bridge()
        upstream = urlsplit(self.api.api.configuration.host)
        self._service = ServiceProxy((str(network.KUBERNETES_SERVICE_IP), SERVICE_PORT),
                                     (upstream.hostname, upstream.port or 443))
        self._kubelet = kubelet_server.serve(str(network.NODE_IP), KUBELET_PORT, self.pki, self.find_log)
        self._dns = DnsResponder(str(network.NODE_IP), self.services.addresses)
        self.api.register_node(str(network.NODE_IP), KUBELET_PORT, CAPACITY)
        self.api.renew_lease()
        threading.Thread(target=self._keep_lease, name="lease", daemon=True).start()
        self.say(f"node {self.node_name} registered at {network.NODE_IP}; pods get addresses in {network.POD_CIDR}")
        threading.Thread(target=self._follow, name="services", daemon=True,
                         args=("Services", self.api.list_services, self.api.watch_services,
                               self.services.replace_all, self.services.handle)).start()
        self._follow("pods", self._list_pods, self.api.watch_pods, lambda pods: None, self.handle)

    def stop(self) -> None:
        self._stop.set()

    def stopping(self) -> bool:
        return self._stop.is_set()

    def shut_down(self) -> None:
        """Stop every pod's containers and remove the node's network (called once `run` returns)."""
        with self._pods_lock:
            runtimes = list(self.pods.values())
        threads = [threading.Thread(target=r.terminate, args=(SHUTDOWN_GRACE,), daemon=True) for r in runtimes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self._kubelet is not None:
            self._kubelet.shutdown()
        if self._service is not None:
            self._service.close()
        if self._dns is not None:
            self._dns.close()
        self.services.close()
        network.tear_down_bridge()
        self.api.close()

    def say(self, message: str) -> None:
        print(f"{datetime.now().isoformat(timespec='seconds')} {message}", flush=True)

    # -- the lease -----------------------------------------------------------------------------
    def _keep_lease(self) -> None:
        while not self._stop.wait(LEASE_RENEW):
            try:
                self.api.renew_lease()
            except Exception as error:  # the API server restarting: try again next period
                self.say(f"could not renew the node lease: {error}")

    # -- pods ------------------------------------------------------------------------------------
    def _follow(self, what: str, lister, watcher, relisted, handle) -> None:
        """List, then watch from there; list again when the watch's version is too old (410)."""
        resource_version = None
        while not self._stop.is_set():
            try:
                if resource_version is None:
                    objects, resource_version = lister()
                    relisted(objects)
                for kind, obj in watcher(resource_version, self._stop):
                    resource_version = obj["metadata"].get("resourceVersion") or resource_version
                    if kind != "BOOKMARK":
                        handle(kind, obj)
            except ApiException as error:
                if error.status == 410:
                    resource_version = None  # too old: list again
                else:
                    self.say(f"watching {what} failed: {error.status} {error.reason}")
                    self._stop.wait(RETRY)
            except Exception as error:
                self.say(f"watching {what} failed: {type(error).__name__}: {error}")
                self._stop.wait(RETRY)

    def _list_pods(self) -> tuple[list[dict], str]:
        pods, resource_version = self.api.list_pods()
        present = {p["metadata"]["uid"] for p in pods}
        with self._pods_lock:
            gone = [r for uid, r in self.pods.items() if uid not in present]
        for runtime in gone:
            self.handle("DELETED", runtime.pod)
        for pod in pods:
            self.handle("ADDED", pod)
        return pods, resource_version

    def handle(self, kind: str, pod: dict) -> None:
        if self._stop.is_set():  # shutting down: no new pods (they would outlive the agent)
            return
        meta, spec = pod["metadata"], pod.get("spec") or {}
        if kind == "DELETED":
            with self._pods_lock:
                runtime = self.pods.pop(meta["uid"], None)
            if runtime is not None:
                self._background(runtime.terminate, 0.0)
            return
        if not spec.get("nodeName"):
            if spec.get("schedulerName", "default-scheduler") == "default-scheduler" and not meta.get("deletionTimestamp"):
                self._bind(pod)
            return
        if spec["nodeName"] != self.node_name:
            return
        with self._pods_lock:
            runtime = self.pods.get(meta["uid"])
            if runtime is None and not meta.get("deletionTimestamp") \
                    and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                runtime = self.pods[meta["uid"]] = PodRuntime(pod, self, self._write_status)
                self._background(self._start, runtime)
                return
        if meta.get("deletionTimestamp"):
            if runtime is None:
                self._background(self.api.delete_pod_now, pod)
            elif not runtime.terminating:
                runtime.terminating = True
                self._background(self._terminate, runtime, float(meta.get("deletionGracePeriodSeconds") or 0))

    def _bind(self, pod: dict) -> None:
        try:
            self.api.bind(pod)
        except ApiException as error:
            if error.status not in (404, 409):  # gone, or already bound
                self.say(f"could not bind {pod['metadata']['namespace']}/{pod['metadata']['name']}: "
                         f"{error.status} {error.reason}; trying again in {RETRY:.0f} s")
                self._later(self._bind, pod)

    def _start(self, runtime: PodRuntime) -> None:
        try:
            runtime.start()
        except Exception as error:
            self.say(f"could not start {runtime.key}: {type(error).__name__}: {error}")

    def _terminate(self, runtime: PodRuntime, grace: float) -> None:
        started = time.monotonic()
        runtime.terminate(grace)
        with self._pods_lock:
            self.pods.pop(runtime.uid, None)
        self.api.delete_pod_now(runtime.pod)
        self.say(f"{runtime.key} stopped in {time.monotonic() - started:.1f} s (grace {grace:.0f} s) and deleted")

    def _write_status(self, pod: dict, status: dict) -> None:
        try:
            self.api.patch_pod_status(pod, status)
        except ApiException as error:
            if error.status != 404:
                self.say(f"could not write the status of {pod['metadata']['name']}: {error.status} {error.reason}")

    def retry_later(self, runtime: PodRuntime, container: ContainerState) -> None:
        self._later(runtime.retry, container)

    def _later(self, action, *args) -> None:
        if not self._stop.is_set():
            timer = threading.Timer(RETRY, action, args=args)
            timer.daemon = True
            timer.start()

    @staticmethod
    def _background(target, *args) -> None:
        threading.Thread(target=target, args=args, daemon=True).start()

    # -- what containers and the kubelet port need ------------------------------------------------
    def service_env(self) -> dict[str, str]:
        host, port = str(network.KUBERNETES_SERVICE_IP), str(SERVICE_PORT)
        return {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port,
                "KUBERNETES_SERVICE_PORT_HTTPS": port, "KUBERNETES_PORT": f"tcp://{host}:{port}",
                "KUBERNETES_PORT_443_TCP": f"tcp://{host}:{port}", "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
                "KUBERNETES_PORT_443_TCP_PORT": port, "KUBERNETES_PORT_443_TCP_ADDR": host}

    def projected_files(self, pod: dict, container: dict) -> dict[str, str]:
        """Files of projected volumes (the service-account token, kube-root-ca.crt, the namespace)."""
        volumes = {v.get("name"): v for v in pod["spec"].get("volumes") or []}
        files: dict[str, str] = {}
        for mount in container.get("volumeMounts") or []:
            projected = volumes.get(mount.get("name"), {}).get("projected")
            if projected is None:
                continue
            root = mount["mountPath"].rstrip("/")
            for source in projected.get("sources") or []:
                files.update({f"{root}/{path}": text for path, text in self._project(pod, source).items()})
        return files

    def _project(self, pod: dict, source: dict) -> dict[str, str]:
        if "serviceAccountToken" in source:
            token = source["serviceAccountToken"]
            account = pod["spec"].get("serviceAccountName") or "default"
            return {token["path"]: self.api.service_account_token(pod, account, token.get("audience"),
                                                                   token.get("expirationSeconds"))}
        if "configMap" in source:
            ref = source["configMap"]
            data = (self.store.get("ConfigMap", pod["metadata"]["namespace"], ref["name"]) or {}).get("data") or {}
            items = ref.get("items") or [{"key": k, "path": k} for k in data]
            return {item["path"]: data[item["key"]] for item in items if item["key"] in data}
        if "downwardAPI" in source:
            meta = pod["metadata"]
            fields = {"metadata.namespace": meta["namespace"], "metadata.name": meta["name"],
                      "metadata.uid": meta["uid"]}
            return {item["path"]: fields.get(item.get("fieldRef", {}).get("fieldPath", ""), "")
                    for item in source["downwardAPI"].get("items") or []}
        return {}

    def ready_pods(self, namespace: str) -> list[tuple[dict, str]]:
        """The Ready pods of a namespace with their addresses: the endpoints of its Services."""
        with self._pods_lock:
            runtimes = [r for r in self.pods.values() if r.pod["metadata"]["namespace"] == namespace]
        return [(r.pod, r.network.address) for r in runtimes if r.ready()]

    def find_log(self, namespace: str, name: str, container: str):
        with self._pods_lock:
            runtime = next((r for r in self.pods.values()
                            if r.pod["metadata"]["namespace"] == namespace and r.pod["metadata"]["name"] == name), None)
        if runtime is None:
            return None
        state = next((c for c in runtime.containers if c.spec["name"] == container), None)
        if state is None:
            return None
        return runtime.log_path(container), lambda: state.process is not None and state.process.running()
