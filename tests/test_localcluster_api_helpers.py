"""The API server's pure helpers: ages, JSONPath, patches, selectors, schema admission."""

from __future__ import annotations

import pytest

from support.localcluster import crd_manifest
from support.localcluster.apiserver.selectors import parse_field_selector, parse_label_selector
from support.localcluster.apiserver.patching import json_merge, json_patch, strategic_merge
from support.localcluster.schema import admit
from support.localcluster.errors import ApiError
from support.localcluster.apiserver.tables import human_duration, jsonpath


@pytest.mark.parametrize("seconds, shown", [
    (5, "5s"), (119, "119s"), (120, "2m"), (185, "3m5s"), (600, "10m"), (3 * 3600 + 60, "3h1m"),
    (9 * 3600, "9h"), (50 * 3600, "2d2h"), (10 * 86400, "10d"), (-0.5, "0s"), (-5, "<invalid>"),
])
def test_human_duration_matches_kubectl(seconds, shown):
    assert human_duration(seconds) == shown


def test_jsonpath_with_filter_and_index():
    obj = {"status": {"conditions": [{"type": "Other", "status": "False"}, {"type": "Ready", "status": "True"}]}}
    assert jsonpath(obj, ".status.conditions[?(@.type=='Ready')].status") == ["True"]
    assert jsonpath(obj, ".status.conditions[0].type") == ["Other"]
    assert jsonpath(obj, ".status.conditions[*].status") == ["False", "True"]
    assert jsonpath(obj, ".status.missing") == []


def test_patches():
    doc = {"a": {"b": 1, "c": [1, 2]}, "items": [{"name": "x", "v": 1}]}
    assert json_merge(doc, {"a": {"b": None, "c": [3]}}) == {"a": {"c": [3]}, "items": [{"name": "x", "v": 1}]}
    merged = strategic_merge(doc, {"items": [{"name": "x", "w": 2}, {"name": "y"}]})
    assert merged["items"] == [{"name": "x", "v": 1, "w": 2}, {"name": "y"}]
    patched = json_patch(doc, [{"op": "add", "path": "/a/c/-", "value": 9}, {"op": "remove", "path": "/a/b"},
                               {"op": "move", "from": "/items", "path": "/moved"}])
    assert patched == {"a": {"c": [1, 2, 9]}, "moved": [{"name": "x", "v": 1}]}
    with pytest.raises(ApiError) as error:
        json_patch(doc, [{"op": "replace", "path": "/nope", "value": 1}])
    assert error.value.code == 422


def test_selectors():
    assert parse_label_selector("a in (1,2),b!=x,!c")({"a": "2", "b": "y"})
    assert not parse_label_selector("a notin (1,2)")({"a": "1"})
    assert parse_field_selector("involvedObject.kind=Pod,type!=Normal")(
        {"involvedObject": {"kind": "Pod"}, "type": "Warning"})
    with pytest.raises(ApiError):
        parse_label_selector("a in b")


def test_schema_admission_defaults_nested_blocks_and_collects_all_errors():
    schema = crd_manifest()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    obj = {"apiVersion": "scaler.bud.studio/v1alpha1", "kind": "BudAIScaler", "metadata": {"name": "x"},
           "spec": {"scaleTargetRef": {"name": "d"}, "maxReplicas": 2,
                    "metricsSources": [{"metricSourceType": "pod", "targetMetric": "m", "targetValue": "1",
                                        "inferenceEngineConfig": {"engineType": "vllm"}}],
                    "costConfig": {}}}
    admitted = admit(schema, obj, "BudAIScaler.scaler.bud.studio", "x")
    assert admitted["spec"]["metricsSources"][0]["inferenceEngineConfig"] == {
        "engineType": "vllm", "metricsPort": 8000, "metricsPath": "/metrics"}
    assert admitted["spec"]["costConfig"]["spotFallbackToOnDemand"] is True
    del obj["spec"]["maxReplicas"], obj["spec"]["scaleTargetRef"]
    with pytest.raises(ApiError) as error:
        admit(schema, obj, "BudAIScaler.scaler.bud.studio", "x")
    assert error.value.message == ('BudAIScaler.scaler.bud.studio "x" is invalid: '
                                   "[spec.scaleTargetRef: Required value, spec.maxReplicas: Required value]")
