"""The HPA's status and the scaler-to-HPA mapping (support/reference/hpa_status.py, hpa_mapping.py) at the edges
their other tests left open: written against the survivors of `make mutation` (docs/mutation-survivors.md):
a large cpu value in decimal units, the value a policy error names, the owner reference copied from the
scaler, and an update where neither side has a behaviour.
"""
from hamcrest import assert_that, equal_to, has_entries

from support.reference.hpa_mapping import build_hpa, updated_hpa
from support.reference.hpa_status import metric_status, validation_errors
from test_reference_hpa_mapping_edges import QUEUE
from test_reference_hpa_status_edges import hpa


def test_a_large_cpu_value_is_written_in_decimal_units():
    status = metric_status({"type": "Resource", "resource": {"name": "cpu"}},
                           {"averageUtilization": 1, "averageValue": 2048 * 1000})
    assert_that(status["resource"]["current"]["averageValue"], equal_to("2048"), "2048 cores, not 2Ki")


def test_a_policy_error_names_the_value_given():
    errors = validation_errors(hpa(behavior={"scaleUp": {"policies": [{"type": "Pods", "value": -2,
                                                                        "periodSeconds": 15}]}}))
    assert_that(errors, equal_to(["spec.behavior.scaleUp.policies[0].value: Invalid value: -2: "
                                  "must be greater than zero"]), "the error repeats the value -2")


def test_the_owner_reference_is_copied_from_the_scaler():
    scaler = {"apiVersion": "scaler.bud.studio/v1beta1", "kind": "BudAIScalerV2",
              "metadata": {"name": "llm", "uid": "u1"}, "spec": {"metricsSources": [QUEUE]}}
    (owner,) = build_hpa(scaler)["metadata"]["ownerReferences"]
    assert_that(owner, has_entries(apiVersion="scaler.bud.studio/v1beta1", kind="BudAIScalerV2"),
                "the owner is the scaler as it was read, not an assumed version or kind")


def test_an_update_without_a_behaviour_on_either_side_has_none():
    updated = updated_hpa({"metadata": {}, "spec": {"maxReplicas": 2}}, {"spec": {"maxReplicas": 3}})
    assert_that(updated["spec"], equal_to({"maxReplicas": 3}), "no behaviour to drop, none added")
