"""The start-up check names the fields a stale BudAIScaler CRD would prune (audit item 1)."""

from __future__ import annotations

import copy

from hamcrest import assert_that, contains_string, equal_to

from support import crd_check

# What BudAIScaler's Helm chart CRD lacks compared with controller-gen's (the audit's list).
HELM_CRD_LACKS = ["spec.predictionConfig.enableLearning", "spec.predictionConfig.historicalDataDays",
                  "spec.predictionConfig.predictionMetrics", "spec.predictionConfig.seasonalMetrics",
                  "spec.scheduleHints", "status.learningStatus", "status.predictionStatus.predictedReplicas",
                  "status.scalingHistory[].previousScale", "status.scalingHistory[].newScale",
                  "status.scalingHistory[].reason"]


def older_crd_schema() -> dict:
    """The controller-gen schema with the Helm chart CRD's omissions."""
    schema = copy.deepcopy(crd_check.expected_schema())
    for path in HELM_CRD_LACKS:
        node, *parents = schema, *path.split(".")[:-1]
        for part in parents:
            node = node["properties"][part.removesuffix("[]")]
            if part.endswith("[]"):
                node = node["items"]
        del node["properties"][path.split(".")[-1]]
    return schema


def test_the_expected_crd_prunes_nothing():
    assert_that(crd_check.pruned_fields(crd_check.expected_schema(), crd_check.expected_schema()), equal_to([]))


def test_the_helm_chart_crd_is_caught_field_by_field():
    missing = crd_check.pruned_fields(older_crd_schema(), crd_check.expected_schema())
    assert_that(sorted(missing), equal_to(sorted(HELM_CRD_LACKS)))


def test_a_field_that_keeps_unknown_fields_prunes_nothing_below_it():
    installed = copy.deepcopy(crd_check.expected_schema())
    installed["properties"]["spec"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    assert_that(crd_check.pruned_fields(installed, crd_check.expected_schema()), equal_to([]))


def test_the_message_names_the_fields_and_the_fix():
    message = crd_check.stale_crd_message("budaiscalers.scaler.bud.studio", ["spec.scheduleHints",
                                                                             "status.learningStatus"])
    for part in ("spec.scheduleHints", "status.learningStatus", "controller-gen", "config/crd/bases"):
        assert_that(message, contains_string(part))


def test_a_long_list_is_shortened_with_a_count():
    message = crd_check.stale_crd_message("x", [f"spec.f{i}" for i in range(20)], limit=3)
    assert_that(message, contains_string("spec.f0, spec.f1, spec.f2 and 17 more"))


def test_schema_of_reads_the_served_version_of_a_crd_object():
    crd = {"spec": {"versions": [{"name": "v1alpha1", "schema": {"openAPIV3Schema": {"type": "object"}}}]}}
    assert_that(crd_check.schema_of(crd), equal_to({"type": "object"}))
    assert_that(crd_check.schema_of({"spec": {"versions": []}}), equal_to({}))
