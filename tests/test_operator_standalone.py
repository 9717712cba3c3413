"""`python -m support.reference.operator` against a served embedded cluster, in real time, scales a Deployment.

The cluster is served without its built-in controller; the operator runs as a
user would run it against their own cluster (its kubeconfig, the real clock),
and stops cleanly on SIGTERM.
"""

import signal
import subprocess

import kubernetes
import pytest

from support import manifests
from conftest import PYTHON, ROOT, clean_env, stop_process, wait_until

NAMESPACE = "operator-standalone"


def scaler(name: str, target: str) -> dict:
    return {"apiVersion": "scaler.bud.studio/v1alpha1", "kind": "BudAIScaler",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                     "minReplicas": 1, "maxReplicas": 3, "scalingStrategy": "BudScaler",
                     "metricsSources": [{"metricSourceType": "pod", "targetMetric": "vllm:gpu_cache_usage_perc",
                                         "targetValue": "70", "port": "9000", "path": "/metrics"}],
                     "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0}}}}


@pytest.fixture
def served(tmp_path):
    kubeconfig, log = tmp_path / "kubeconfig", tmp_path / "serve.log"
    with open(log, "w") as sink:
        process = subprocess.Popen([PYTHON, "-m", "support.localcluster", "serve", "--no-controller", "--speed", "20",
                                    "--kubeconfig", str(kubeconfig)], cwd=ROOT, env=clean_env(tmp_path / "tmp"),
                                   stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: kubeconfig.is_file() and "kubeconfig:" in log.read_text(), 30,
                   "the served embedded cluster to write its kubeconfig")
        yield kubeconfig
    finally:
        stop_process(process)


def test_the_standalone_operator_scales_a_deployment(served, tmp_path):
    api = kubernetes.config.new_client_from_config(config_file=str(served))
    dynamic = kubernetes.dynamic.DynamicClient(api)
    kubernetes.client.CoreV1Api(api).create_namespace({"metadata": {"name": NAMESPACE}})
    for document in manifests.load_manifests("simulator", namespace=NAMESPACE):  # sidecar reports 85 % GPU cache
        resource = dynamic.resources.get(api_version=document["apiVersion"], kind=document["kind"])
        resource.create(body=document, namespace=NAMESPACE)
    log = tmp_path / "operator.log"
    with open(log, "w") as sink:
        operator = subprocess.Popen([PYTHON, "-m", "support.reference.operator", "--kubeconfig", str(served)],
                                    cwd=ROOT, env=clean_env(tmp_path / "tmp"), stdout=sink, stderr=subprocess.STDOUT)
    try:
        apps = kubernetes.client.AppsV1Api(api)
        dynamic.resources.get(api_version="scaler.bud.studio/v1alpha1", kind="BudAIScaler").create(
            body=scaler("standalone", "llm-inference-sim"), namespace=NAMESPACE)
        wait_until(lambda: apps.read_namespaced_deployment("llm-inference-sim", NAMESPACE).spec.replicas > 1, 60,
                   f"the operator to scale the Deployment up (operator log:\n{log.read_text()})", interval=0.2)
        scalers = dynamic.resources.get(api_version="scaler.bud.studio/v1alpha1", kind="BudAIScaler")

        def reported() -> dict:
            return scalers.get(name="standalone", namespace=NAMESPACE).to_dict()

        # The operator writes the target's scale first and its own status after: wait for that write too.
        wait_until(lambda: (reported().get("status") or {}).get("desiredScale", 0) > 1, 30,
                   f"the scaler to report the scale-up (operator log:\n{log.read_text()})", interval=0.2)
        assert "scaler.bud.studio/finalizer" in reported()["metadata"]["finalizers"], "the operator adds its finalizer"
        operator.send_signal(signal.SIGTERM)
        assert operator.wait(timeout=15) == 0, f"SIGTERM stops the operator cleanly:\n{log.read_text()}"
        assert "reference operator stopped" in log.read_text()
    finally:
        stop_process(operator)
        api.close()
