"""The embedded API server serving BudAIScaler from its CRD (defaults, validation,
pruning, status, printer columns, CRD removal), discovery, kubectl, pod/service
proxy and logs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import kubernetes
import pytest
from kubernetes.client import ApiException
from kubernetes.dynamic import DynamicClient


GROUP, VERSION, PLURAL = "scaler.bud.studio", "v1alpha1", "budaiscalers"


@pytest.fixture
def ns(fresh_namespace):
    return fresh_namespace("bas-test")


def scaler(name: str, **spec) -> dict:
    body = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm"},
            "maxReplicas": 5,
            "metricsSources": [{"metricSourceType": "pod", "targetMetric": "gpu_cache_usage_perc",
                                "targetValue": "70"}]}
    body.update(spec)
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "BudAIScaler", "metadata": {"name": name}, "spec": body}


def create(custom, ns: str, body: dict) -> dict:
    return custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, body)


def invalid_message(custom, ns: str, body: dict) -> str:
    with pytest.raises(ApiException) as error:
        create(custom, ns, body)
    assert error.value.status == 422
    return json.loads(error.value.body)["message"]


# -- defaults, validation, pruning ------------------------------------------------------------

def test_defaults_from_the_crd_schema(custom, ns):
    created = create(custom, ns, scaler("s", predictionConfig={"enabled": True}))
    spec = created["spec"]
    assert spec["minReplicas"] == 1 and spec["scalingStrategy"] == "BudScaler"
    assert spec["predictionConfig"] == {"enabled": True, "lookAheadMinutes": 15, "historicalDataDays": 7,
                                        "enableLearning": True}
    assert created["metadata"]["generation"] == 1


def test_missing_max_replicas_is_422_naming_the_field(custom, ns):
    body = scaler("x")
    del body["spec"]["maxReplicas"]
    assert invalid_message(custom, ns, body) == \
        'BudAIScaler.scaler.bud.studio "x" is invalid: spec.maxReplicas: Required value'


@pytest.mark.parametrize("spec, expected", [
    ({"scalingStrategy": "Magic"}, 'spec.scalingStrategy: Unsupported value: "Magic"'),
    ({"maxReplicas": 0}, "spec.maxReplicas in body should be greater than or equal to 1"),
    ({"minReplicas": -1}, "spec.minReplicas in body should be greater than or equal to 0"),
    ({"metricsSources": []}, "spec.metricsSources in body should have at least 1 items"),
    ({"metricsSources": [{"metricSourceType": "pod", "targetMetric": "m"}]},
     "spec.metricsSources[0].targetValue: Required value"),
    ({"metricsSources": [{"metricSourceType": "pod", "targetMetric": "m", "targetValue": 70}]},
     "spec.metricsSources[0].targetValue in body must be of type string"),
    ({"predictionConfig": {"lookAheadMinutes": 90}}, "spec.predictionConfig.lookAheadMinutes in body should be "
                                                     "less than or equal to 60"),
    ({"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 0}]}}},
     "spec.behavior.scaleUp.policies[0].periodSeconds in body should be greater than or equal to 1"),
    ({"scheduleHints": [{"name": "peak", "cronExpression": "0 9 * * 1-5", "targetReplicas": 3}]},
     "spec.scheduleHints[0].duration: Required value"),
])
def test_schema_violations_are_422_naming_the_field(custom, ns, spec, expected):
    assert expected in invalid_message(custom, ns, scaler("bad", **spec))


def test_int_or_string_budgets_and_pruning_of_unknown_fields(custom, ns):
    body = scaler("s", costConfig={"enabled": True, "budgetPerHour": 10, "budgetPerDay": "240"}, madeUp=True)
    body["spec"]["gpuConfig"] = {"enabled": True, "notAField": 1}
    created = create(custom, ns, body)
    assert created["spec"]["costConfig"]["budgetPerHour"] == 10
    assert created["spec"]["costConfig"]["budgetPerDay"] == "240"
    assert "madeUp" not in created["spec"] and "notAField" not in created["spec"]["gpuConfig"]


# -- update, patch, status -----------------------------------------------------------------

def test_update_and_merge_patch(custom, ns):
    create(custom, ns, scaler("s"))
    patched = custom.patch_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "s", {"spec": {"maxReplicas": 8}})
    assert patched["spec"]["maxReplicas"] == 8 and patched["metadata"]["generation"] == 2
    patched["spec"]["scalingStrategy"] = "KPA"
    replaced = custom.replace_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "s", patched)
    assert replaced["spec"]["scalingStrategy"] == "KPA"
    with pytest.raises(ApiException) as error:
        custom.patch_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "s", {"spec": {"maxReplicas": 0}})
    assert error.value.status == 422


def test_status_subresource(custom, ns):
    create(custom, ns, scaler("s"))
    status = {"desiredScale": 3, "actualScale": 3, "unknownStatusField": 1,
              "conditions": [{"type": "Ready", "status": "True", "reason": "ScalerReady", "message": "ok",
                              "lastTransitionTime": "2026-01-05T10:00:00Z"}]}
    written = custom.patch_namespaced_custom_object_status(GROUP, VERSION, ns, PLURAL, "s", {"status": status})
    assert written["status"]["actualScale"] == 3 and "unknownStatusField" not in written["status"]
    assert written["metadata"]["generation"] == 1
    # the main resource ignores status
    current = custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "s")
    current["status"]["actualScale"] = 99
    replaced = custom.replace_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "s", current)
    assert replaced["status"]["actualScale"] == 3


def test_server_side_apply_of_a_scaler(api_client, ns, tmp_path):
    dynamic = DynamicClient(api_client, cache_file=str(tmp_path / "discovery.json"))
    scalers = dynamic.resources.get(api_version=f"{GROUP}/{VERSION}", kind="BudAIScaler")
    body = {**scaler("applied"), "metadata": {"name": "applied", "namespace": ns}}
    created = scalers.server_side_apply(body=body, namespace=ns, field_manager="budspec")
    assert created.spec.minReplicas == 1
    body["spec"]["minReplicas"] = 2
    updated = scalers.server_side_apply(body=body, namespace=ns, field_manager="budspec", force_conflicts=True)
    assert updated.spec.minReplicas == 2 and updated.metadata.generation == 2


# -- discovery and the CRD's presence --------------------------------------------------------

def test_discovery_through_the_dynamic_client(api_client, tmp_path):
    dynamic = DynamicClient(api_client, cache_file=str(tmp_path / "discovery.json"))
    scalers = dynamic.resources.get(api_version=f"{GROUP}/{VERSION}", kind="BudAIScaler")
    assert scalers.namespaced and scalers.short_names == ["bas"] and "all" in scalers.categories
    assert dynamic.resources.get(api_version="apps/v1", kind="Deployment").subresources["scale"]
    assert dynamic.resources.get(api_version="v1", kind="Pod").subresources["proxy"]
    assert dynamic.version["kubernetes"]["gitVersion"] == "v1.31.0-budspec"


def test_budaiscalers_vanish_with_their_crd(cluster, custom, core, ns):
    create(custom, ns, scaler("s"))
    cluster.uninstall_crd()
    try:
        with pytest.raises(ApiException) as error:
            custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)
        assert error.value.status == 404
        groups = [g.name for g in kubernetes.client.ApisApi(core.api_client).get_api_versions().groups]
        assert GROUP not in groups
    finally:
        cluster.install_crd()
    assert custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)["items"] == []


# -- kubectl -------------------------------------------------------------------------------

# CI installs kubectl (Debian's kubernetes-client, see the Makefile); there a missing kubectl is a failure.
@pytest.mark.skipif(shutil.which("kubectl") is None and not os.environ.get("CI"), reason="kubectl is not on PATH")
def test_kubectl_get_prints_the_printer_columns(cluster, custom, ns):
    create(custom, ns, scaler("s", minReplicas=2))
    custom.patch_namespaced_custom_object_status(GROUP, VERSION, ns, PLURAL, "s", {"status": {
        "actualScale": 2, "conditions": [{"type": "Ready", "status": "True", "reason": "ScalerReady",
                                          "message": "ok", "lastTransitionTime": "2026-01-05T10:00:00Z"}]}})
    cluster.clock.advance(125)
    result = subprocess.run(["kubectl", "--kubeconfig", str(cluster.kubeconfig_path), "get",
                             "budaiscalers,deploy,pods", "-n", ns], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()[:2]
    assert header.split() == ["NAME", "MIN", "MAX", "REPLICAS", "STRATEGY", "READY", "AGE"]
    assert row.split() == ["budaiscaler.scaler.bud.studio/s", "2", "5", "2", "BudScaler", "True", "2m5s"]


# -- pods: proxy and logs --------------------------------------------------------------------

def test_pod_and_service_proxy_and_logs(cluster, core, apps, ns):
    labels = {"app": "sim"}
    apps.create_namespaced_deployment(ns, {
        "metadata": {"name": "sim"},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [{
                     "name": "sim", "image": "ghcr.io/llm-d/llm-d-inference-sim:latest",
                     "args": ["--port=8000", "--model=tiny"], "ports": [{"containerPort": 8000}]}]}}}})
    core.create_namespaced_service(ns, {"metadata": {"name": "sim"}, "spec": {
        "selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": 8000}]}})
    cluster.clock.advance(10)
    pod = core.list_namespaced_pod(ns, label_selector="app=sim").items[0].metadata.name
    assert "vllm" in core.connect_get_namespaced_pod_proxy_with_path(f"{pod}:8000", ns, "metrics")
    assert core.connect_get_namespaced_service_proxy_with_path("sim:http", ns, "v1/models")
    assert isinstance(core.read_namespaced_pod_log(pod, ns, tail_lines=5), str)
    with pytest.raises(ApiException) as error:
        core.connect_get_namespaced_pod_proxy_with_path(f"{pod}:9999", ns, "metrics")
    assert error.value.status in (404, 503)
