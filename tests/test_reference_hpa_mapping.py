"""The HPA strategy's mapping (§4.5), quantities as Kubernetes writes them, and HPA validation."""
import pytest

from support.reference.hpa import apply_defaults
from support.reference.hpa_mapping import (BUILD_ERROR, HpaBuildError, build_hpa, scaler_status_from_hpa,
                                           updated_hpa)
from support.reference.hpa_status import invalid_message, validation_errors
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.quantity import QuantityError, canonical, from_milli, milli_value


def scaler(sources, behavior=None, min_replicas=1, max_replicas=10):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm"},
            "minReplicas": min_replicas, "maxReplicas": max_replicas, "scalingStrategy": "HPA",
            "metricsSources": sources}
    if behavior is not None:
        spec["behavior"] = behavior
    return {"apiVersion": "scaler.bud.studio/v1alpha1", "kind": "BudAIScaler",
            "metadata": {"name": "web", "namespace": "ns", "uid": "u-1"}, "spec": spec}


def source(kind, metric="m", value="70", **extra):
    return {"metricSourceType": kind, "targetMetric": metric, "targetValue": value, **extra}


def test_name_labels_owner_and_target():
    hpa = build_hpa(scaler([source("external")]))
    assert hpa["metadata"]["name"] == "web-hpa" and hpa["metadata"]["namespace"] == "ns"
    assert hpa["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "budaiscaler",
                                         "scaler.bud.studio/scaler": "web"}
    assert hpa["metadata"]["ownerReferences"] == [{"apiVersion": "scaler.bud.studio/v1alpha1",
                                                   "kind": "BudAIScaler", "name": "web", "uid": "u-1",
                                                   "controller": True}]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 10)
    assert "behavior" not in hpa["spec"]


def test_metrics_per_source_kind():
    hpa = build_hpa(scaler([
        source("resource", "cpu", "80"), source("custom", "queue", "0.7"),
        source("external", "vllm:gpu_cache_usage_perc", "70"),
        source("pod"), source("prometheus", promQL="up"), source("inferenceEngine"),
        source("resource", "memory", "80.5"), source("resource", "cpu", "80%")]))
    assert hpa["spec"]["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}},
        {"type": "Pods", "pods": {"metric": {"name": "queue"},
                                  "target": {"type": "AverageValue", "averageValue": "700m"}}},
        {"type": "External", "external": {"metric": {"name": "vllm:gpu_cache_usage_perc"},
                                          "target": {"type": "Value", "value": "70"}}},
    ]


def test_nothing_converts_is_the_build_error():
    with pytest.raises(HpaBuildError, match=BUILD_ERROR):
        build_hpa(scaler([source("pod"), source("resource", "cpu", "80.5")]))
    assert BUILD_ERROR == "failed to build metrics: no valid metrics could be converted to HPA format"


def test_behaviour_copied_and_what_is_dropped():
    behavior = {"scaleUp": {"stabilizationWindowSeconds": 5, "selectPolicy": "Max", "maxScaleRate": "3",
                            "tolerance": "0.2", "startingPods": {"maxStartingPods": 2},
                            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 30}]},
                "scaleDown": {"selectPolicy": "Disabled"}}
    hpa = build_hpa(scaler([source("external")], behavior))
    assert hpa["spec"]["behavior"] == {
        "scaleUp": {"stabilizationWindowSeconds": 5, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 2, "periodSeconds": 30}]},
        "scaleDown": {"selectPolicy": "Disabled"}}


def test_update_overwrites_the_spec_and_clears_a_removed_behaviour():
    old = build_hpa(scaler([source("external")], {"scaleDown": {"stabilizationWindowSeconds": 0}}))
    old["metadata"]["resourceVersion"] = "7"
    old["status"] = {"currentReplicas": 2}
    new = updated_hpa(old, build_hpa(scaler([source("external", value="50")], max_replicas=4)))
    assert "behavior" not in new["spec"] and new["spec"]["maxReplicas"] == 4
    assert new["spec"]["metrics"][0]["external"]["target"]["value"] == "50"
    assert new["metadata"]["resourceVersion"] == "7" and new["status"] == {"currentReplicas": 2}


def test_scaler_status_from_the_hpa():
    status = {"currentReplicas": 3, "desiredReplicas": 5, "lastScaleTime": "2026-01-05T10:00:00Z"}
    # contract: actualScale = the replicas running (4 here); as built: the HPA's currentReplicas
    assert scaler_status_from_hpa(status, 4, CONTRACT) == {
        "actualScale": 4, "desiredScale": 5, "lastScaleTime": "2026-01-05T10:00:00Z"}
    assert scaler_status_from_hpa(status, 4, AS_BUILT)["actualScale"] == 3
    assert "lastScaleTime" not in scaler_status_from_hpa({"desiredReplicas": 1}, 1, CONTRACT)


# -- API defaulting and validation of the HPA ---------------------------------------
def test_behaviour_defaults_fill_the_unset_rules():
    hpa = apply_defaults(build_hpa(scaler([source("external")], {"scaleDown": {"stabilizationWindowSeconds": 60}})))
    assert hpa["spec"]["behavior"]["scaleUp"] == {
        "stabilizationWindowSeconds": 0, "selectPolicy": "Max",
        "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                     {"type": "Percent", "value": 100, "periodSeconds": 15}]}
    assert hpa["spec"]["behavior"]["scaleDown"] == {
        "stabilizationWindowSeconds": 60, "selectPolicy": "Max",
        "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}
    assert apply_defaults({"spec": {"maxReplicas": 3}})["spec"]["minReplicas"] == 1


def test_zero_minimum_needs_an_external_metric():
    assert validation_errors(apply_defaults(build_hpa(scaler([source("external")], min_replicas=0)))) == []
    errors = validation_errors(apply_defaults(build_hpa(scaler([source("custom")], min_replicas=0))))
    assert errors == ["spec.metrics: Forbidden: must specify at least one Object or External metric "
                      "to support scaling to zero replicas"]
    assert invalid_message("web-hpa", errors).startswith(
        'HorizontalPodAutoscaler.autoscaling "web-hpa" is invalid: spec.metrics: Forbidden')


def test_a_zero_policy_the_crd_allows_is_invalid_for_the_hpa():
    behavior = {"scaleUp": {"policies": [{"type": "Pods", "value": 0, "periodSeconds": 30}]}}
    errors = validation_errors(apply_defaults(build_hpa(scaler([source("external")], behavior))))
    assert errors == ["spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero"]


def test_zero_or_negative_targets_are_invalid():
    errors = validation_errors(apply_defaults(build_hpa(scaler([source("external", value="0"),
                                                                source("resource", "cpu", "0")]))))
    assert errors == ['spec.metrics[0].external.target.value: Invalid value: "0": must be positive',
                      "spec.metrics[1].resource.target.averageUtilization: Invalid value: 0: must be greater than 0"]


# -- quantities ------------------------------------------------------------------------
@pytest.mark.parametrize("text, milli, canonical_form", [
    ("70", 70000, "70"), ("0.7", 700, "700m"), ("1000", 1000000, "1k"), ("1500", 1500000, "1500"),
    ("250m", 250, "250m"), ("0.0001", 1, "100u"), ("1Gi", 1073741824000, "1Gi"),
    ("1536Mi", 1610612736000, "1536Mi"), ("1e3", 1000000, "1e3"), ("2.5", 2500, "2500m"),
    ("1.0000000001", 1001, "1000000001n"),   # rounded up to a whole nano-unit, milli rounds up
])
def test_quantities(text, milli, canonical_form):
    assert milli_value(text) == milli
    assert canonical(text) == canonical_form


@pytest.mark.parametrize("bad", ["80%", "abc", "", " 70", "1K", "1.2.3"])
def test_not_quantities(bad):
    with pytest.raises(QuantityError):
        canonical(bad)


def test_from_milli():
    assert from_milli(450) == "450m"
    assert from_milli(70000) == "70"
    assert from_milli(2 * 1024 ** 3 * 1000, "BinarySI") == "2Gi"
