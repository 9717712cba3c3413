"""Edges of the HPA's status and of the API server's validation of an HPA (support/reference/hpa_status.py).

Written against the survivors of `make mutation` in support/reference/hpa_status.py: every field the
status reads and writes, each current-metric shape, and each validation message with its bound.
"""
from support.reference.hpa_status import HpaGates, HpaStatus, invalid_message, metric_status, validation_errors

AT = "2026-01-05T10:00:00Z"
NOW = 1_767_607_200.0


def hpa(min_replicas=1, max_replicas=10, metrics=None, behavior=None):
    spec = {"minReplicas": min_replicas, "maxReplicas": max_replicas}
    spec["metrics"] = metrics if metrics is not None else [
        {"type": "External", "external": {"metric": {"name": "q"}, "target": {"type": "Value", "value": "1"}}}]
    if behavior is not None:
        spec["behavior"] = behavior
    return {"spec": spec}


def rules(**fields):
    return {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 15}], **fields}


def test_the_status_read_back_keeps_every_field():
    status = HpaStatus.from_json({"currentReplicas": 3, "desiredReplicas": 4, "lastScaleTime": AT,
                                  "currentMetrics": [{"type": "External"}],
                                  "conditions": [{"type": "AbleToScale", "status": "True", "reason": "R",
                                                  "message": "M", "lastTransitionTime": AT}]})
    assert (status.current_replicas, status.desired_replicas, status.last_scale_time) == (3, 4, NOW)
    assert status.current_metrics == ({"type": "External"},)
    assert status.to_json() == {"currentReplicas": 3, "desiredReplicas": 4, "lastScaleTime": AT,
                                "currentMetrics": [{"type": "External"}],
                                "conditions": [{"type": "AbleToScale", "status": "True", "reason": "R",
                                                "message": "M", "lastTransitionTime": AT}]}


def test_a_condition_without_reason_message_or_time_reads_as_empty():
    status = HpaStatus.from_json({"conditions": [{"type": "ScalingActive", "status": "False"}]})
    assert status.to_json() == {"desiredReplicas": 0, "conditions": [
        {"type": "ScalingActive", "status": "False", "reason": "", "message": "",
         "lastTransitionTime": "1970-01-01T00:00:00Z"}]}
    assert HpaStatus.from_json(None).to_json() == {"desiredReplicas": 0}


def test_an_updated_condition_takes_the_new_status_reason_and_message():
    status = HpaStatus().with_condition("AbleToScale", "True", "A", "first", NOW)
    updated = status.with_condition("AbleToScale", "False", "B", "second", NOW + 60).condition("AbleToScale")
    assert (updated.status, updated.reason, updated.message, updated.last_transition) == ("False", "B", "second",
                                                                                         NOW + 60)


def test_current_metrics_per_kind():
    cpu = {"type": "Resource", "resource": {"name": "cpu"}}
    memory = {"type": "Resource", "resource": {"name": "memory"}}
    assert metric_status(cpu, {"averageUtilization": 90, "averageValue": 450}) == {
        "type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 90, "averageValue": "450m"}}}
    # memory in binary units: 1 Gi = 1073741824 bytes
    assert metric_status(memory, {"averageUtilization": 50, "averageValue": 1073741824 * 1000}) == {
        "type": "Resource", "resource": {"name": "memory",
                                         "current": {"averageUtilization": 50, "averageValue": "1Gi"}}}
    assert metric_status({"type": "Pods", "pods": {"metric": {"name": "q"}}}, {"averageValue": 1500}) == {
        "type": "Pods", "pods": {"metric": {"name": "q"}, "current": {"averageValue": "1500m"}}}
    assert metric_status({"type": "External", "external": {"metric": {"name": "q"}}}, {"value": 2000}) == {
        "type": "External", "external": {"metric": {"name": "q"}, "current": {"value": "2"}}}


def test_replica_bounds_are_validated_with_their_messages():
    assert validation_errors(hpa()) == []
    assert validation_errors(hpa(max_replicas=0)) == [
        "spec.maxReplicas: Required value: must be set and greater than 0",
        "spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`"]
    assert validation_errors(hpa(min_replicas=None, max_replicas=1)) == []
    assert validation_errors(hpa(max_replicas=-1)) == [
        "spec.maxReplicas: Invalid value: -1: must be greater than or equal to 1",
        "spec.maxReplicas: Invalid value: -1: must be greater than or equal to `minReplicas`"]
    assert validation_errors(hpa(min_replicas=3, max_replicas=3)) == []
    assert validation_errors(hpa(min_replicas=4, max_replicas=3)) == [
        "spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`"]


def test_targets_must_be_positive():
    def target(kind, **fields):
        key = kind.lower()
        return {"type": kind, key: {"metric": {"name": "q"}, "name": "cpu", "target": fields}}

    assert validation_errors(hpa(metrics=[target("External", value="0"), target("Pods", averageValue="-1"),
                                          target("Resource", averageUtilization=0)])) == [
        'spec.metrics[0].external.target.value: Invalid value: "0": must be positive',
        'spec.metrics[1].pods.target.averageValue: Invalid value: "-1": must be positive',
        "spec.metrics[2].resource.target.averageUtilization: Invalid value: 0: must be greater than 0"]
    assert validation_errors(hpa(metrics=[target("External", averageValue="1m"), target("Resource", averageUtilization=1),
                                          target("Pods", averageValue="2")])) == []
    assert validation_errors(hpa(metrics=[target("External", value="lots")])) == [
        'spec.metrics[0].external.target.value: Invalid value: "lots": must be positive']
    # a metric whose source is missing, or of a kind not checked, has no target errors
    assert validation_errors(hpa(metrics=[{"type": "Pods"}, {"type": "Object", "object": {"target": {"value": "0"}}},
                                          target("External", value="1")])) == []


def test_min_zero_needs_an_object_or_external_metric():
    cpu = {"type": "Resource", "resource": {"name": "cpu", "target": {"averageUtilization": 50}}}
    forbidden = ("spec.metrics: Forbidden: must specify at least one Object or External metric to support "
                 "scaling to zero replicas")
    assert validation_errors(hpa(min_replicas=0, metrics=[cpu])) == [forbidden]
    assert validation_errors(hpa(min_replicas=0, metrics=[cpu, {"type": "Object"}])) == []
    assert validation_errors(hpa(min_replicas=0)) == []


def test_behaviour_rules_are_validated_with_their_bounds():
    assert validation_errors(hpa(behavior={"scaleUp": rules(stabilizationWindowSeconds=3600),
                                           "scaleDown": rules(stabilizationWindowSeconds=0)})) == []
    assert validation_errors(hpa(behavior={"scaleDown": rules(stabilizationWindowSeconds=-1)})) == [
        "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: -1: must be greater than or equal to zero"]
    assert validation_errors(hpa(behavior={"scaleDown": rules(stabilizationWindowSeconds=3601)})) == [
        "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600"]
    assert validation_errors(hpa(behavior={"scaleDown": rules(selectPolicy="Min"),
                                           "scaleUp": rules(selectPolicy="Disabled")})) == []
    assert validation_errors(hpa(behavior={"scaleDown": rules(selectPolicy="Fastest")})) == [
        'spec.behavior.scaleDown.selectPolicy: Unsupported value: "Fastest": supported values: '
        '"Disabled", "Max", "Min"']
    assert validation_errors(hpa(behavior={"scaleDown": {"policies": []}})) == [
        "spec.behavior.scaleDown.policies: Required value: must specify at least one Policy"]


def test_each_policy_is_validated_with_its_bounds():
    def policies(*items):
        return validation_errors(hpa(behavior={"scaleUp": {"policies": list(items)}}))

    assert policies({"type": "Percent", "value": 1, "periodSeconds": 1},
                    {"type": "Pods", "value": 1, "periodSeconds": 1800}) == []
    assert policies({"type": "Replicas", "value": 0, "periodSeconds": 0}) == [
        'spec.behavior.scaleUp.policies[0].type: Unsupported value: "Replicas": supported values: "Percent", "Pods"',
        "spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero",
        "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 0: must be greater than zero"]
    assert policies({"type": "Pods"}) == [
        "spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero",
        "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 0: must be greater than zero"]
    assert policies({"type": "Pods", "value": 1, "periodSeconds": 1801}) == [
        "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800"]


def test_the_invalid_message_lists_one_error_bare_and_several_in_brackets():
    assert invalid_message("web-hpa", ["a: bad"]) == 'HorizontalPodAutoscaler.autoscaling "web-hpa" is invalid: a: bad'
    assert invalid_message("web-hpa", ["a: bad", "b: worse"]) == (
        'HorizontalPodAutoscaler.autoscaling "web-hpa" is invalid: [a: bad, b: worse]')


def test_min_zero_is_invalid_without_the_gate():
    assert validation_errors(hpa(min_replicas=0), HpaGates(scale_to_zero=False)) == [
        "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1"]
