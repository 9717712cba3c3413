"""Edges of the HPA strategy's mapping (support/reference/hpa_mapping.py), worked by hand.

Written against the survivors of `make mutation` in support/reference/hpa_mapping.py: what a scaler
missing its optional fields maps to, the int32 bounds of a utilization target, what an update keeps
and drops, and the status read back without the HPA's optional fields.
"""
from support.reference.hpa_mapping import build_hpa, scaler_status_from_hpa, updated_hpa
from support.reference.model import AS_BUILT, CONTRACT

QUEUE = {"metricSourceType": "external", "targetMetric": "q", "targetValue": "5"}


def test_a_scaler_without_its_optional_fields_maps_to_empty_names_and_the_default_owner():
    assert build_hpa({"spec": {"metricsSources": [QUEUE]}}) == {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "-hpa", "namespace": "",
                     "labels": {"app.kubernetes.io/managed-by": "budaiscaler", "scaler.bud.studio/scaler": ""},
                     "ownerReferences": [{"apiVersion": "scaler.bud.studio/v1alpha1", "kind": "BudAIScaler",
                                          "name": "", "uid": "", "controller": True}]},
        "spec": {"scaleTargetRef": {"apiVersion": "", "kind": "", "name": ""}, "maxReplicas": 0,
                 "metrics": [{"type": "External", "external": {"metric": {"name": "q"},
                                                               "target": {"type": "Value", "value": "5"}}}]}}


def test_a_source_without_a_metric_name_maps_to_an_empty_name():
    hpa = build_hpa({"spec": {"metricsSources": [{"metricSourceType": "custom", "targetValue": "2"}]}})
    assert hpa["spec"]["metrics"] == [{"type": "Pods", "pods": {"metric": {"name": ""}, "target": {
        "type": "AverageValue", "averageValue": "2"}}}]


def test_utilization_targets_take_the_whole_int32_range():
    def utilization(value):
        source = {"metricSourceType": "resource", "targetMetric": "cpu", "targetValue": value}
        metrics = build_hpa({"spec": {"metricsSources": [source, QUEUE]}})["spec"]["metrics"]
        return [m["resource"]["target"]["averageUtilization"] for m in metrics if m["type"] == "Resource"]

    assert utilization("2147483647") == [2147483647]
    assert utilization("-2147483648") == [-2147483648]
    assert utilization("2147483648") == [] and utilization("-2147483649") == []


def test_policies_without_value_or_period_map_to_zero():
    scaler = {"spec": {"metricsSources": [QUEUE], "behavior": {"scaleUp": {"policies": [{"type": "Pods"}]}}}}
    assert build_hpa(scaler)["spec"]["behavior"] == {"scaleUp": {"policies": [
        {"type": "Pods", "value": 0, "periodSeconds": 0}]}}


def test_an_update_replaces_what_the_scaler_sets_and_keeps_the_rest():
    existing = {"metadata": {"name": "web-hpa", "resourceVersion": "7"}, "status": {"desiredReplicas": 3},
                "spec": {"minReplicas": 2, "maxReplicas": 5, "behavior": {"scaleUp": {}}, "extra": "kept",
                         "scaleTargetRef": {"name": "old"}, "metrics": []}}
    wanted = {"spec": {"scaleTargetRef": {"name": "llm"}, "maxReplicas": 8, "metrics": [{"type": "External"}]}}
    assert updated_hpa(existing, wanted) == {
        "metadata": {"name": "web-hpa", "resourceVersion": "7"}, "status": {"desiredReplicas": 3},
        "spec": {"maxReplicas": 8, "extra": "kept", "scaleTargetRef": {"name": "llm"}, "metrics": [{"type": "External"}]}}
    assert existing["spec"]["minReplicas"] == 2                     # the existing object is not changed
    with_rules = updated_hpa({"metadata": {}}, {"spec": {"minReplicas": 1, "behavior": {"scaleDown": {}}}})
    assert with_rules["spec"] == {"minReplicas": 1, "behavior": {"scaleDown": {}}}


def test_the_status_read_back_without_the_hpa_s_optional_fields():
    assert scaler_status_from_hpa(None, 2, CONTRACT) == {"actualScale": 2, "desiredScale": 0}
    assert scaler_status_from_hpa({}, 2, AS_BUILT) == {"actualScale": 0, "desiredScale": 0}
    assert scaler_status_from_hpa({"currentReplicas": 3, "desiredReplicas": 4}, 2, AS_BUILT) == {
        "actualScale": 3, "desiredScale": 4}
