"""Collecting a scaler's sources in one tick, failure modes, and the status rules (§2.2, §2.7, §2.8, §3.1)."""
from support.reference.collection import ALL_PODS_FAILED, NO_PODS, NO_READY_PODS, gather, plan
from support.reference.metrics import Snapshot
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.sources import Reply
from support.reference.spec import ScalerSpec
from support.reference.status_rules import (READY_MESSAGE, TargetReplicas, actual_scale, conflict, replicas_running,
                                            scale_status, scaling_active, set_condition, target_problem, with_history)

NOW = 1_767_607_200.0


def spec(*sources):
    return ScalerSpec.from_object({"metadata": {"name": "s", "namespace": "ns"},
                                   "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "llm"},
                                            "maxReplicas": 5, "metricsSources": list(sources)}})


POD_SOURCE = {"metricSourceType": "pod", "targetMetric": "load", "targetValue": "70"}
EXTERNAL = {"metricSourceType": "external", "targetMetric": "queue", "targetValue": "10", "endpoint": "http://q"}


def pod(name, phase="Running", ready=True, ip=True):
    status = {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    if ip:
        status["podIP"] = f"10.0.0.{len(name)}"
    return {"metadata": {"name": name, "namespace": "ns", "labels": {"app": "llm"}}, "status": status}


def collect(scaler, pods, replies, model=CONTRACT):
    plans = plan(scaler, "ns", pods, model)
    return plans, gather(plans, replies(plans), pods, model)


def answer(*bodies):
    return lambda plans: [[Reply(200, body) for body in bodies] for _ in plans]


def test_the_mean_over_ready_pods():
    _, result = collect(spec(POD_SOURCE), [pod("a"), pod("bb"), pod("ccc", ready=False)], answer("load 60", "load 80"))
    assert result.snapshots["load"] == Snapshot(70.0, 2, 140.0, 60.0, 80.0) and not result.errors


def test_some_pods_failing_leaves_the_others():
    replies = lambda plans: [[Reply(200, "load 60"), Reply(500, "oops")]]
    _, result = collect(spec(POD_SOURCE), [pod("a"), pod("bb")], replies)
    assert result.snapshots["load"].average == 60.0


def test_every_pod_failing_fails_the_source():
    replies = lambda plans: [[Reply(200, "garbage"), Reply(None, error="timeout")]]
    _, result = collect(spec(POD_SOURCE), [pod("a"), pod("bb")], replies)
    assert "load" not in result.snapshots
    assert result.errors["load"] == (ALL_PODS_FAILED + "a: metric load not found in response; bb: timeout")


def test_no_ready_pod_is_no_data_in_the_contract_and_zero_as_built():
    pods = [pod("a", ready=False), pod("bb", ready=False)]
    plans, result = collect(spec(POD_SOURCE), pods, answer())
    assert plans[0].fetches == () and result.errors == {"load": NO_READY_PODS}
    _, as_built = collect(spec(POD_SOURCE), pods, answer(), AS_BUILT)
    assert as_built.snapshots["load"].average == 0.0 and as_built.snapshots["load"].count == 0


def test_no_running_pod():
    pods = [pod("a", phase="Pending", ready=False, ip=False)]
    _, result = collect(spec(POD_SOURCE, EXTERNAL), pods, answer("7"))
    assert result.errors == {"load": NO_PODS} and result.snapshots["queue"].average == 7.0
    _, as_built = collect(spec(POD_SOURCE, EXTERNAL), pods, answer("7"), AS_BUILT)
    assert as_built.errors == {"load": NO_PODS, "queue": NO_PODS} and not as_built.snapshots


def test_several_sources_and_one_failing():
    replies = lambda plans: [[Reply(200, "load 50")], [Reply(503, "down")]]
    _, result = collect(spec(POD_SOURCE, EXTERNAL), [pod("a")], replies)
    assert result.snapshots["load"].average == 50.0
    assert result.errors == {"queue": "external query failed with status 503: down"}


def test_same_metric_twice_the_later_success_wins():
    other = dict(POD_SOURCE, port="9000")
    replies = lambda plans: [[Reply(200, "load 10")], [Reply(200, "load 20")]]
    assert collect(spec(POD_SOURCE, other), [pod("a")], replies)[1].snapshots["load"].average == 20.0
    failing = lambda plans: [[Reply(200, "load 10")], [Reply(500, "x")]]
    result = collect(spec(POD_SOURCE, other), [pod("a")], failing)[1]
    assert result.snapshots["load"].average == 10.0 and not result.errors


def test_missing_endpoint_is_decided_before_any_request():
    plans, result = collect(spec({"metricSourceType": "prometheus", "targetMetric": "p", "targetValue": "1",
                                  "endpoint": "http://p"}), [pod("a")], answer())
    assert plans[0].fetches == () and result.errors == {"p": "promQL query is required for prometheus metric source"}


# -- conditions --------------------------------------------------------------------------
def test_condition_rules():
    conditions = set_condition([], "Ready", "False", "ValidationFailed", "maxReplicas must be at least 1", NOW, CONTRACT)
    assert conditions == [{"type": "Ready", "status": "False", "reason": "ValidationFailed",
                           "message": "maxReplicas must be at least 1", "lastTransitionTime": "2026-01-05T10:00:00Z"}]
    # same status, new reason: refreshed in the contract, kept as built; the transition time stays
    conflict_message = "conflict: BudAIScaler a is already targeting Deployment/llm"
    refreshed = set_condition(conditions, "Ready", "False", "ConflictDetected", conflict_message, NOW + 10, CONTRACT)
    assert (refreshed[0]["reason"], refreshed[0]["lastTransitionTime"]) == ("ConflictDetected", "2026-01-05T10:00:00Z")
    kept = set_condition(conditions, "Ready", "False", "ConflictDetected", conflict_message, NOW + 10, AS_BUILT)
    assert kept[0]["reason"] == "ValidationFailed"
    ready = set_condition(kept, "Ready", "True", "ScalerReady", READY_MESSAGE, NOW + 20, AS_BUILT)
    assert (ready[0]["reason"], ready[0]["lastTransitionTime"]) == ("ScalerReady", "2026-01-05T10:00:20Z")


def test_scaling_active_says_when_no_metric_could_be_read():
    assert scaling_active({"load": NO_READY_PODS}, [], CONTRACT) == (
        "False", "FailedGetMetrics", "the scaler could not read any metric: load: no ready pods to collect metrics from")
    assert scaling_active({"queue": "timeout"}, ["load"], CONTRACT) == (
        "True", "ValidMetricFound", "the scaler read load; could not read queue: timeout")
    assert scaling_active({}, ["load"], CONTRACT)[1] == "ValidMetricFound"
    assert scaling_active({"load": "x"}, [], AS_BUILT) is None


def scaler(name, created, kind="Deployment", target="llm"):
    return {"metadata": {"name": name, "creationTimestamp": created},
            "spec": {"scaleTargetRef": {"kind": kind, "name": target}}}


def test_two_scalers_on_one_target():
    old, new = scaler("b-old", "2026-01-05T10:00:00Z"), scaler("a-new", "2026-01-05T10:00:05Z")
    others = [old, new, scaler("c", "2026-01-05T09:00:00Z", target="other"),
              scaler("d", "2026-01-05T09:00:00Z", kind="StatefulSet")]
    assert conflict(old, others, CONTRACT) is None
    assert conflict(new, others, CONTRACT) == "conflict: BudAIScaler b-old is already targeting Deployment/llm"
    assert conflict(old, others, AS_BUILT) == "conflict: BudAIScaler a-new is already targeting Deployment/llm"
    assert conflict(new, others, AS_BUILT) is not None
    twin = scaler("a-twin", "2026-01-05T10:00:00Z")
    assert conflict(twin, [old, twin], CONTRACT) is None                 # same second: the name decides
    assert conflict(old, [old, twin], CONTRACT) is not None


def test_target_problems():
    assert target_problem("Deployment", "llm", True) is None
    assert target_problem("Deployment", "llm", False) == (
        'scaling failed: failed to get scale: failed to get deployment: deployments.apps "llm" not found')
    assert target_problem("StatefulSet", "db", False) == (
        'scaling failed: failed to get scale: failed to get statefulset: statefulsets.apps "db" not found')
    assert target_problem("Rollout", "r", True) == (
        "scaling failed: failed to get scale: generic scale not implemented for Rollout/r")


# -- status ------------------------------------------------------------------------------
def test_history_is_capped_at_ten_oldest_first():
    history = []
    for i in range(12):
        history = with_history(history, {"newScale": i})
    assert [h["newScale"] for h in history] == list(range(2, 12))


def test_scale_status_after_a_tick():
    pods = [pod("a"), pod("bb", ready=False), pod("ccc", phase="Pending")]
    assert replicas_running(pods) == 2
    status = scale_status({"scalingHistory": [{"newScale": 1}]}, now=NOW, current=2, recommendation=3,
                          reason="BudScaler: Scaling up from 2 to 3 replicas", algorithm="BudScaler",
                          target=TargetReplicas(asked=2, made=2, ready=1), model=CONTRACT)
    assert (status["desiredScale"], status["actualScale"], status["lastScaleTime"]) == (3, 1, "2026-01-05T10:00:00Z")
    assert status["scalingHistory"][-1] == {
        "timestamp": "2026-01-05T10:00:00Z", "previousScale": 2, "newScale": 3,
        "reason": "BudScaler: Scaling up from 2 to 3 replicas", "algorithm": "BudScaler", "success": True}
    steady = scale_status({"lastScaleTime": "x"}, now=NOW, current=3, recommendation=3, reason="", algorithm="KPA",
                          target=TargetReplicas(asked=3, made=3, ready=2), model=AS_BUILT)
    assert steady == {"lastScaleTime": "x", "desiredScale": 3, "actualScale": 3}
    starting = TargetReplicas(asked=3, made=3, ready=2)
    assert actual_scale(starting, 3, AS_BUILT) == 3 and actual_scale(starting, 3, CONTRACT) == 2, \
        "the contract reports the pods ready to serve, as built the recommendation"
