"""The node agent's access to a real API server, over the official client.

Objects go in and out as plain dicts in Kubernetes JSON shape (camelCase), as the
embedded cluster's store hands them to its node agent, so the container runner's
`prepare` (env, ConfigMap files) works unchanged on top of `ApiStore`.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Callable, Iterator

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch
from kubernetes.client.exceptions import ApiException

LEASE_NAMESPACE = "kube-node-lease"
LEASE_SECONDS = 40
TOKEN_SECONDS = 3607  # what the kubelet asks for: the API server extends such pod-bound tokens


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class NodeApi:
    def __init__(self, kubeconfig: str, node_name: str):
        self.node_name = node_name
        self.api = k8s_config.new_client_from_config(config_file=kubeconfig, persist_config=False)
        self.core = k8s.CoreV1Api(self.api)
        self.coordination = k8s.CoordinationV1Api(self.api)

    def close(self) -> None:
        self.api.close()

    def to_dict(self, obj) -> dict:
        return self.api.sanitize_for_serialization(obj)

    # -- the node and its lease -------------------------------------------------------
    def register_node(self, address: str, kubelet_port: int, capacity: dict[str, str]) -> None:
        labels = {"kubernetes.io/hostname": self.node_name, "kubernetes.io/os": "linux",
                  "budaiscaler-spec/node-agent": "true"}
        try:
            self.core.create_node({"metadata": {"name": self.node_name, "labels": labels}})
        except ApiException as error:
            if error.status != 409:
                raise
        stamp = now_rfc3339()
        status = {
            "addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": self.node_name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet_port}},
            "capacity": capacity, "allocatable": capacity,
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "budaiscaler-spec node agent is posting ready status",
                            "lastHeartbeatTime": stamp, "lastTransitionTime": stamp}],
            "nodeInfo": {"kubeletVersion": "budspec-node-agent", "operatingSystem": "linux", "architecture": "amd64",
                         "containerRuntimeVersion": "budspec://processes", "kernelVersion": "", "osImage": "",
                         "kubeProxyVersion": "", "machineID": "", "systemUUID": "", "bootID": ""},
        }
        self.core.patch_node_status(self.node_name, {"status": status})

    def renew_lease(self) -> None:
        body = {"metadata": {"name": self.node_name, "namespace": LEASE_NAMESPACE},
                "spec": {"holderIdentity": self.node_name, "leaseDurationSeconds": LEASE_SECONDS,
                         "renewTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}}
        try:
            self.coordination.patch_namespaced_lease(self.node_name, LEASE_NAMESPACE, body)
        except ApiException as error:
            if error.status != 404:
                raise
            self.coordination.create_namespaced_lease(LEASE_NAMESPACE, body)

    # -- pods -------------------------------------------------------------------------
    def list_pods(self) -> tuple[list[dict], str]:
        return self._list(self.core.list_pod_for_all_namespaces)

    def watch_pods(self, resource_version: str, stop: threading.Event) -> Iterator[tuple[str, dict]]:
        """(type, pod) events from `resource_version`; returns when the stream ends (the caller relists)."""
        return self._watch(self.core.list_pod_for_all_namespaces, resource_version, stop)

    def list_services(self) -> tuple[list[dict], str]:
        return self._list(self.core.list_service_for_all_namespaces)

    def watch_services(self, resource_version: str, stop: threading.Event) -> Iterator[tuple[str, dict]]:
        return self._watch(self.core.list_service_for_all_namespaces, resource_version, stop)

    def _list(self, lister) -> tuple[list[dict], str]:
        result = lister()
        return [self.to_dict(o) for o in result.items], result.metadata.resource_version

    def _watch(self, lister, resource_version: str, stop: threading.Event) -> Iterator[tuple[str, dict]]:
        watcher = k8s_watch.Watch()
        try:
            for event in watcher.stream(lister, resource_version=resource_version,
                                        allow_watch_bookmarks=True, timeout_seconds=300):
                if stop.is_set():
                    return
                if event["type"] == "ERROR":
                    return
                yield event["type"], self.to_dict(event["object"])
        finally:
            watcher.stop()

    def bind(self, pod: dict) -> None:
        meta = pod["metadata"]
        body = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": meta["name"], "uid": meta["uid"]},
                "target": {"apiVersion": "v1", "kind": "Node", "name": self.node_name}}
        # _preload_content=False: the client cannot deserialize the Status this call returns
        self.core.create_namespaced_binding(meta["namespace"], body, _preload_content=False)

    def patch_pod_status(self, pod: dict, status: dict) -> None:
        meta = pod["metadata"]
        self.core.patch_namespaced_pod_status(meta["name"], meta["namespace"], {"status": status})

    def delete_pod_now(self, pod: dict) -> None:
        """The kubelet's last word on a pod whose containers have stopped: delete it with grace 0."""
        meta = pod["metadata"]
        try:
            # in the body: the API server reads no query parameters when a delete has a body
            self.core.delete_namespaced_pod(meta["name"], meta["namespace"],
                                            body={"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}})
        except ApiException as error:
            if error.status not in (404, 409):
                raise

    # -- what containers need -----------------------------------------------------------
    def service_account_token(self, pod: dict, service_account: str, audience: str | None,
                              seconds: int | None) -> str:
        meta = pod["metadata"]
        spec = {"expirationSeconds": seconds or TOKEN_SECONDS,
                "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": meta["name"], "uid": meta["uid"]}}
        if audience:
            spec["audiences"] = [audience]
        result = self.core.create_namespaced_service_account_token(service_account, meta["namespace"],
                                                                   {"spec": spec})
        return result.status.token


class ApiStore:
    """The `store.get(kind, namespace, name)` the container runner's `prepare` reads ConfigMaps and Secrets through."""

    READERS: dict[str, Callable[[k8s.CoreV1Api], Callable]] = {
        "ConfigMap": lambda core: core.read_namespaced_config_map,
        "Secret": lambda core: core.read_namespaced_secret,
    }

    def __init__(self, api: NodeApi):
        self._api = api

    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        reader = self.READERS.get(kind)
        if reader is None:
            return None
        try:
            return self._api.to_dict(reader(self._api.core)(name, namespace))
        except ApiException as error:
            if error.status in (403, 404):  # the Node authorizer says 403 for what no pod of ours references
                return None
            raise
