"""Kubernetes facade over the official client: the only place the suite talks to the API.

Works the same against the embedded local cluster and a real one. Objects come
back as plain dicts in Kubernetes JSON shape (camelCase), whatever their kind.
"""

from __future__ import annotations

import json
import os
import itertools
import sys
import tempfile
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Iterable

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

from support import crd_check
from support.feed import NamespaceFeed
from support.kube.api import KubeApi, error_message
from support.kube.retry import client_from_kubeconfig

SCALER_API = "scaler.bud.studio/v1alpha1"
SCALER_KIND = "BudAIScaler"
SCALER_CRD = "budaiscalers.scaler.bud.studio"
FIELD_MANAGER = "budaiscaler-spec"
MANAGED_BY = {"app.kubernetes.io/managed-by": "budaiscaler-spec"}
LEARNING_LABEL = "scaler.bud.studio/learning-data"
CONTROLLER_SELECTOR = "control-plane=controller-manager"  # what BudAIScaler's Helm chart and kustomize set
APPLY_PATCH = "application/apply-patch+yaml"


class PreconditionError(RuntimeError):
    """The cluster cannot run the spec; the message says how to fix it."""


class ApplyError(RuntimeError):
    """The API server refused a manifest; the message is its own, naming the field."""


@dataclass(frozen=True)
class ObjectRef:
    api_version: str
    kind: str
    namespace: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class ScalerStatus:
    """`status` of a BudAIScaler, with the catalogue's names; absent fields are None."""

    desired_replicas: int | None
    actual_replicas: int | None
    last_scale_time: str | None
    conditions: tuple[Condition, ...]
    history: tuple[dict, ...]
    learning: dict = field(default_factory=dict)
    prediction: dict = field(default_factory=dict)
    gpu: dict = field(default_factory=dict)
    cost: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)

    @classmethod
    def from_object(cls, obj: dict) -> "ScalerStatus":
        status = obj.get("status") or {}
        conditions = tuple(Condition(c.get("type", ""), c.get("status", ""), c.get("reason", ""), c.get("message", ""))
                           for c in status.get("conditions") or [])
        return cls(desired_replicas=status.get("desiredScale"), actual_replicas=status.get("actualScale"),
                   last_scale_time=status.get("lastScaleTime"), conditions=conditions,
                   history=tuple(status.get("scalingHistory") or []),
                   learning=dict(status.get("learningStatus") or {}),
                   prediction=dict(status.get("predictionStatus") or {}),
                   gpu=dict(status.get("gpuStatus") or {}), cost=dict(status.get("costStatus") or {}), raw=status)


@dataclass(frozen=True)
class ControllerInfo:
    namespace: str
    pods: tuple[str, ...]
    images: tuple[str, ...]


def connect(kubeconfig: str | None = None, context: str | None = None) -> "Cluster":
    """Open the cluster a kubeconfig (and context) names; clear errors when either is missing."""
    path = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
    files = [Path(os.path.expanduser(part)) for part in path.split(os.pathsep) if part]
    if not any(file.is_file() for file in files):  # a KUBECONFIG list is merged, as kubectl does
        raise PreconditionError(
            f"no kubeconfig at {path}: point -D kubeconfig=PATH (or KUBECONFIG) at one, "
            "or run on the embedded cluster by leaving out -D target=cluster")
    path = os.pathsep.join(str(file) for file in files if file.is_file())
    contexts, current = k8s_config.list_kube_config_contexts(config_file=path)
    names = [c["name"] for c in contexts]
    chosen = context or (current or {}).get("name")
    if chosen not in names:
        raise PreconditionError(
            f"kubeconfig {path} has no context {chosen!r}; it has: {', '.join(names) or 'none'}. "
            "Choose one with -D context=NAME")
    api_client = client_from_kubeconfig(path, chosen)
    return Cluster(api_client, context=chosen)


class Cluster:
    def __init__(self, api_client: k8s.ApiClient, context: str = ""):
        self.api_client = api_client
        self.context = context
        self.kube = KubeApi(api_client)  # raw JSON: the typed CoreV1Api costs 0.6 s of imports at start
        self._dynamic: DynamicClient | None = None

    @property
    def server(self) -> str:
        return self.api_client.configuration.host

    @property
    def dynamic(self) -> DynamicClient:
        if self._dynamic is None:
            self._dynamic = DynamicClient(self.api_client, cache_file=_discovery_cache_file())
        return self._dynamic

    def close(self) -> None:
        self.api_client.close()

    def feed(self, namespace: str, clock) -> NamespaceFeed:
        """Watches over the namespace's scalers, workloads, pods and ConfigMaps (start it)."""
        return NamespaceFeed(self.kube, clock, namespace)

    def server_time(self) -> float:
        """The API server's clock (its Date header): controller and creation timestamps are on it."""
        response = self.kube.open("GET", "/version")
        try:
            date = response.headers.get("Date")
        finally:
            response.release_conn()
        return parsedate_to_datetime(date).timestamp() if date else time.time()

    # -- preconditions --------------------------------------------------------
    def check_reachable(self) -> str:
        try:
            return self.kube.request("GET", "/version")["gitVersion"]
        except Exception as error:  # urllib3 raises many kinds; all mean the same to the user
            raise PreconditionError(f"cannot reach the API server {self.server} (context {self.context!r}): {error}. "
                                    "Check the cluster is up and the context is right (-D context=NAME)") from None

    def served_api_groups(self) -> set[str]:
        """The API groups the server lists (discovery): which optional APIs, such as the metrics
        APIs metrics-server and a custom-metrics adapter add, this cluster serves."""
        return {group["name"] for group in self.kube.request("GET", "/apis").get("groups", [])}

    def check_budaiscaler_installed(self, controller_namespace: str, controller_pod: bool = True) -> ControllerInfo:
        """The full CRD is served and (unless not `controller_pod`) a controller pod runs; else say how to fix it."""
        try:
            self.dynamic.resources.invalidate_cache()  # see the cluster as it is now, not a cached discovery
            self.dynamic.resources.get(api_version=SCALER_API, kind=SCALER_KIND)
        except ResourceNotFoundError:
            raise PreconditionError(
                f"the cluster does not serve {SCALER_API} {SCALER_KIND} (CRD {SCALER_CRD} missing): "
                "install BudAIScaler (its CRD and controller), or run on the embedded cluster "
                "by leaving out -D target=cluster") from None
        self.check_crd_keeps_every_field()
        if not controller_pod:
            return ControllerInfo(controller_namespace, (), ())
        pods = self.controller_pods(controller_namespace)
        if not pods:
            raise PreconditionError(
                f"no running, ready BudAIScaler controller pod labelled {CONTROLLER_SELECTOR} in namespace "
                f"{controller_namespace!r}: install or start the controller (kubectl get pods -n "
                f"{controller_namespace} -l {CONTROLLER_SELECTOR}), or name its namespace with "
                "-D controller_namespace=NS" + _not_ready_pods(self.list("v1", "Pod", controller_namespace,
                                                                         CONTROLLER_SELECTOR)))
        images = tuple(c.get("image", "") for p in pods for c in p["spec"].get("containers", []))
        return ControllerInfo(controller_namespace, tuple(p["metadata"]["name"] for p in pods), images)

    def check_crd_keeps_every_field(self) -> None:
        """A stale CRD (the Helm chart's) silently prunes fields the spec sets: name them and the fix."""
        crd = self.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, SCALER_CRD)
        if crd is None:
            return  # served without a CRD object of that name (an aggregated API): nothing to compare
        missing = crd_check.pruned_fields(crd_check.schema_of(crd), crd_check.expected_schema())
        if missing:
            raise PreconditionError(crd_check.stale_crd_message(SCALER_CRD, missing))

    def controller_pods(self, namespace: str) -> list[dict]:
        """The BudAIScaler controller's running, ready pods: by label, not every pod of its namespace."""
        return [p for p in self.list("v1", "Pod", namespace, CONTROLLER_SELECTOR) if is_ready(p)]

    # -- generic objects --------------------------------------------------------
    def _resource(self, api_version: str, kind: str):
        try:
            return self.dynamic.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            raise PreconditionError(f"the cluster does not serve {api_version} {kind}") from None

    def apply(self, manifests: Iterable[dict]) -> list[ObjectRef]:
        """Server-side apply each manifest (they already carry their namespace).

        With fieldValidation=Strict a field the server does not know (a stale CRD, a typo) is an
        error naming it instead of being dropped; the server's Warning headers are printed.
        """
        applied = []
        for manifest in manifests:
            meta = manifest["metadata"]
            resource = self._resource(manifest["apiVersion"], manifest["kind"])
            query = [("fieldManager", FIELD_MANAGER), ("force", "true"), ("fieldValidation", "Strict")]
            response = self.kube.open("PATCH", resource.path(name=meta["name"], namespace=meta.get("namespace")),
                                      query=query, body=json.dumps(manifest), content_type=APPLY_PATCH)
            try:
                data, warnings = response.data, response.headers.get_all("Warning") or []
            finally:
                response.release_conn()
            if not 200 <= response.status <= 299:
                error = ApiException(status=response.status, reason=response.reason)
                error.body = data.decode("utf-8", "replace")
                raise ApplyError(f"applying {manifest['kind']} {meta['name']} failed: {error_message(error)}") \
                    from error
            for warning in warnings:
                print(f"warning from the API server applying {manifest['kind']} {meta['name']}: {warning}",
                      file=sys.stderr)
            applied.append(ObjectRef(manifest["apiVersion"], manifest["kind"], meta.get("namespace"), meta["name"]))
        return applied

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> dict | None:
        try:
            return self._resource(api_version, kind).get(name=name, namespace=namespace).to_dict()
        except NotFoundError:
            return None

    def list(self, api_version: str, kind: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[dict]:
        result = self._resource(api_version, kind).get(namespace=namespace, label_selector=label_selector)
        return [item.to_dict() if hasattr(item, "to_dict") else item for item in result.to_dict().get("items", [])]

    def merge_patch(self, api_version: str, kind: str, namespace: str | None, name: str, patch: dict) -> dict:
        return self._resource(api_version, kind).patch(
            body=patch, name=name, namespace=namespace, content_type="application/merge-patch+json").to_dict()

    def delete(self, ref: ObjectRef) -> None:
        try:
            self._resource(ref.api_version, ref.kind).delete(name=ref.name, namespace=ref.namespace)
        except NotFoundError:
            pass

    # -- namespaces -------------------------------------------------------------
    def create_namespace(self, name: str, labels: dict[str, str]) -> bool:
        """Create the namespace; False if it already existed (then it is not ours to delete)."""
        try:
            self.kube.request("POST", "/api/v1/namespaces", body={"apiVersion": "v1", "kind": "Namespace",
                                                                  "metadata": {"name": name, "labels": labels}})
            return True
        except ApiException as error:
            if error.status == 409:
                return False
            raise

    def delete_namespace(self, name: str) -> None:
        try:
            self.kube.request("DELETE", f"/api/v1/namespaces/{name}")
        except ApiException as error:
            if error.status != 404:
                raise

    def namespace_exists(self, name: str) -> bool:
        return self.get("v1", "Namespace", None, name) is not None

    def namespace_phase(self, name: str) -> str | None:
        """'Active', 'Terminating', or None when there is no such namespace."""
        namespace = self.get("v1", "Namespace", None, name)
        return None if namespace is None else (namespace.get("status") or {}).get("phase", "Active")

    def namespaces(self, label_selector: str) -> list[dict]:
        return self.list("v1", "Namespace", None, label_selector)

    # -- BudAIScaler ------------------------------------------------------------
    def scaler(self, namespace: str, name: str) -> dict:
        obj = self.get(SCALER_API, SCALER_KIND, namespace, name)
        if obj is None:
            raise LookupError(f"BudAIScaler {name!r} not found in namespace {namespace!r}")
        return obj

    def scaler_status(self, namespace: str, name: str) -> ScalerStatus:
        return ScalerStatus.from_object(self.scaler(namespace, name))

    def patch_scaler_spec(self, namespace: str, name: str, spec_patch: dict) -> dict:
        return self.merge_patch(SCALER_API, SCALER_KIND, namespace, name, {"spec": spec_patch})

    # -- workloads --------------------------------------------------------------
    def deployment(self, namespace: str, name: str) -> dict:
        obj = self.get("apps/v1", "Deployment", namespace, name)
        if obj is None:
            raise LookupError(f"Deployment {name!r} not found in namespace {namespace!r}")
        return obj

    def pods(self, namespace: str, label_selector: str | None = None) -> list[dict]:
        return self.list("v1", "Pod", namespace, label_selector)

    def workload_pods(self, namespace: str, deployment: str) -> list[dict]:
        """Pods of a Deployment, found through its selector, without deleting ones."""
        selector = self.deployment(namespace, deployment)["spec"]["selector"].get("matchLabels", {})
        pods = self.pods(namespace, ",".join(f"{k}={v}" for k, v in selector.items()))
        return [p for p in pods if not p["metadata"].get("deletionTimestamp")]

    def delete_pod(self, namespace: str, name: str) -> None:
        self.delete(ObjectRef("v1", "Pod", namespace, name))

    def events(self, namespace: str) -> list[dict]:
        return self.list("v1", "Event", namespace)

    def configmaps(self, namespace: str, label_selector: str | None = None) -> list[dict]:
        return self.list("v1", "ConfigMap", namespace, label_selector)

    def pod_log(self, namespace: str, pod: str, container: str | None = None, tail_lines: int | None = 200) -> str:
        query = [("tailLines", str(tail_lines))] if tail_lines else []
        if container:
            query.append(("container", container))
        return self.kube.text("GET", f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query=query)

    # -- the pod proxy ------------------------------------------------------------
    def proxy_get(self, namespace: str, pod: str, port: int, path: str, params: Iterable[tuple[str, str]] = (),
                  timeout: float = 10.0) -> "ProxyResponse":
        """GET a pod's port through the API server's pod proxy, with the official client's credentials and
        transport (every kubeconfig form: client certificates, exec plugins, tls-server-name, proxy-url)."""
        response = self.kube.open("GET", f"/api/v1/namespaces/{namespace}/pods/{pod}:{port}/proxy{path}",
                                  query=list(params), headers={"Accept": "*/*"}, timeout=timeout)
        try:
            data = response.data
        finally:
            response.release_conn()
        return ProxyResponse(response.status, data.decode("utf-8", "replace"))


@dataclass(frozen=True)
class ProxyResponse:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def _running_and_ready(pod: dict) -> bool:
    status = pod.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    return status.get("phase") == "Running" and ready


def is_ready(pod: dict) -> bool:
    return _running_and_ready(pod) and not pod["metadata"].get("deletionTimestamp")


_DISCOVERY_CACHE: tempfile.TemporaryDirectory | None = None
_DISCOVERY_CACHE_NUMBERS = itertools.count()


def _discovery_cache_file() -> str:
    """A discovery cache of this client's own, in a directory removed at exit.

    The dynamic client's default is one file per API server address in /tmp, shared by every
    process: parallel workers read it while another writes it ("load cache error"), and a
    control plane restarted on the same address with other CRDs would be read stale.
    """
    global _DISCOVERY_CACHE
    if _DISCOVERY_CACHE is None:
        _DISCOVERY_CACHE = tempfile.TemporaryDirectory(prefix="budspec-discovery-")
    return os.path.join(_DISCOVERY_CACHE.name, f"{next(_DISCOVERY_CACHE_NUMBERS)}.json")


def _not_ready_pods(pods: list[dict]) -> str:
    """`; its pods: NAME (Reason: first line of the message)`: why a controller pod is not ready, when it says."""
    said = []
    for pod in pods:
        states = [c.get("state", {}) for c in pod.get("status", {}).get("containerStatuses", [])]
        why = next((w for s in states for w in (s.get("waiting"), s.get("terminated")) if w), None)
        if why is not None:
            message = (why.get("message") or "").strip().splitlines()
            said.append(f"{pod['metadata']['name']} ({why.get('reason', '?')}"
                        f"{': ' + message[0] if message else ''})")
    return f"; its pods: {', '.join(said)}" if said else ""
