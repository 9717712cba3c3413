"""What a fresh control plane needs before workloads run: RBAC for the node agent and the suite,
Pod Security admission, and the checks that its parts are up."""

from __future__ import annotations

from pathlib import Path

import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

ROOT = Path(__file__).resolve().parents[2]
SUITE_RBAC = ROOT / "deploy" / "rbac.yaml"
FIELD_MANAGER = "budaiscaler-spec-controlplane"

# The Node authorizer lets the agent do what a kubelet does for the pods bound to it; there is
# no scheduler, so the agent also binds pods to itself (pods/binding) and lists them all; and no
# kube-proxy or cluster DNS, so it watches Services (ClusterIP forwarding and DNS, services.py).
NODE_BINDER = [
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
     "metadata": {"name": "budspec:node-binder"},
     "rules": [{"apiGroups": [""], "resources": ["pods", "services"], "verbs": ["get", "list", "watch"]},
               {"apiGroups": [""], "resources": ["bindings", "pods/binding"], "verbs": ["create"]}]},
]


def node_binder_binding(node_name: str) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "budspec:node-binder"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": "budspec:node-binder"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                          "name": f"system:node:{node_name}"}]}


# Pod Security `restricted` everywhere but kube-system: the suite's workloads and the controller
# must pass it, as they must on clusters (and OpenShift) that enforce it.
ADMISSION = {
    "apiVersion": "apiserver.config.k8s.io/v1", "kind": "AdmissionConfiguration",
    "plugins": [{"name": "PodSecurity", "configuration": {
        "apiVersion": "pod-security.admission.config.k8s.io/v1", "kind": "PodSecurityConfiguration",
        "defaults": {"enforce": "restricted", "enforce-version": "latest",
                     "audit": "restricted", "audit-version": "latest",
                     "warn": "restricted", "warn-version": "latest"},
        "exemptions": {"usernames": [], "runtimeClasses": [], "namespaces": ["kube-system"]}}}],
}


def write_admission_config(path: Path) -> Path:
    path.write_text(yaml.safe_dump(ADMISSION, sort_keys=False))
    return path


def api_client(kubeconfig: Path) -> k8s.ApiClient:
    return k8s_config.new_client_from_config(config_file=str(kubeconfig), persist_config=False)


def apply(kubeconfig: Path, objects: list[dict]) -> None:
    with api_client(kubeconfig) as api:
        dynamic = DynamicClient(api)
        for obj in objects:
            resource = dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            dynamic.server_side_apply(resource, body=obj, name=obj["metadata"]["name"],
                                      namespace=obj["metadata"].get("namespace"),
                                      field_manager=FIELD_MANAGER, force_conflicts=True)


def suite_rbac() -> list[dict]:
    return [doc for doc in yaml.safe_load_all(SUITE_RBAC.read_text()) if doc]


def install_cluster_roles(kubeconfig: Path, node_name: str) -> None:
    apply(kubeconfig, NODE_BINDER + [node_binder_binding(node_name)] + suite_rbac())


def has_default_service_account(kubeconfig: Path) -> bool:
    with api_client(kubeconfig) as api:
        try:
            k8s.CoreV1Api(api).read_namespaced_service_account("default", "default")
            return True
        except ApiException as error:
            if error.status == 404:
                return False
            raise


def node_ready(kubeconfig: Path, node_name: str) -> bool:
    with api_client(kubeconfig) as api:
        try:
            node = k8s.CoreV1Api(api).read_node(node_name)
        except ApiException as error:
            if error.status == 404:
                return False
            raise
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])


# -- BudAIScaler: the CRD and the reference operator as its controller ----------------------------

CONTROLLER_MANIFEST = ROOT / "deploy" / "controller.yaml"
CRD_MANIFEST = ROOT / "support" / "localcluster" / "budaiscaler-crd.yaml"
CRD_NAME = "budaiscalers.scaler.bud.studio"


def install_budaiscaler(kubeconfig: Path) -> None:
    """The controller-gen CRD, then the reference operator's Deployment and RBAC (deploy/controller.yaml)."""
    apply(kubeconfig, [yaml.safe_load(CRD_MANIFEST.read_text())])
    apply(kubeconfig, [doc for doc in yaml.safe_load_all(CONTROLLER_MANIFEST.read_text()) if doc])


def crd_established(kubeconfig: Path) -> bool:
    with api_client(kubeconfig) as api:
        crd = k8s.ApiextensionsV1Api(api).read_custom_resource_definition(CRD_NAME)
    return any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or [])


def controller_ready(kubeconfig: Path, namespace: str = "budaiscaler-system") -> bool:
    with api_client(kubeconfig) as api:
        pods = k8s.CoreV1Api(api).list_namespaced_pod(namespace, label_selector="control-plane=controller-manager")
    return any(any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
               for p in pods.items if p.metadata.deletion_timestamp is None)
