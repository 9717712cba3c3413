"""Spec defaults (§1.2), validation messages (§1.6) and the scaling context (§4.1, §1.5)."""
import pytest

from support.reference.model import AS_BUILT, CONTRACT
from support.reference.scaling_context import ScalingContext
from support.reference.spec import ScalerSpec, validate


def scaler(spec_extra=None, annotations=None, **spec):
    body = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm"},
        "maxReplicas": 5,
        "metricsSources": [{"metricSourceType": "pod", "targetMetric": "load", "targetValue": "70"}],
    }
    body.update(spec)
    body.update(spec_extra or {})
    return {"metadata": {"name": "s", "namespace": "ns", "annotations": annotations or {}},
            "spec": body}


def test_defaults():
    spec = ScalerSpec.from_object(scaler())
    assert (spec.name, spec.namespace) == ("s", "ns")
    assert spec.min_replicas == 1 and spec.max_replicas == 5
    assert spec.scaling_strategy == "BudScaler"
    assert spec.metrics_sources[0].target() == 70.0
    assert spec.behavior is None and spec.gpu_config is None and spec.cost_config is None


def test_accepts_a_bare_spec():
    assert ScalerSpec.from_object(scaler()["spec"]).max_replicas == 5


def test_prediction_config_defaults():
    spec = ScalerSpec.from_object(scaler(predictionConfig={"enabled": True}))
    pred = spec.prediction_config
    assert (pred.look_ahead_minutes, pred.historical_data_days, pred.enable_learning) == (15, 7, True)
    assert pred.prediction_metrics == ("load",)


def test_inference_engine_block_defaults_port_and_path():
    spec = ScalerSpec.from_object(scaler(metricsSources=[{
        "metricSourceType": "inferenceEngine", "targetMetric": "x", "targetValue": "1",
        "inferenceEngineConfig": {"engineType": "vllm"}}]))
    engine = spec.metrics_sources[0].inference_engine_config
    assert (engine.metrics_port, engine.metrics_path) == (8000, "/metrics")


def test_hints_and_cost():
    spec = ScalerSpec.from_object(scaler(
        scheduleHints=[{"name": "am", "cronExpression": "0 9 * * *", "targetReplicas": 4,
                        "duration": "1h30m"}],
        costConfig={"enabled": True, "budgetPerHour": "500m"}))
    assert spec.schedule_hints[0].duration_seconds() == 5400
    assert spec.cost_config.budget_per_hour_value() == 0.5
    assert spec.cost_config.cloud_provider == "aws"


@pytest.mark.parametrize("change, message", [
    ({"scaleTargetRef": {"kind": "Deployment"}}, "scaleTargetRef.name is required"),
    ({"metricsSources": []}, "at least one metric source is required"),
    ({"maxReplicas": 0}, "maxReplicas must be at least 1"),
    ({"minReplicas": 6}, "minReplicas (6) cannot be greater than maxReplicas (5)"),
    ({"scaleTargetRef": {}, "metricsSources": [], "maxReplicas": 0},
     "scaleTargetRef.name is required"),
    ({"metricsSources": [], "maxReplicas": 0}, "at least one metric source is required"),
    ({"maxReplicas": 0, "minReplicas": 3}, "maxReplicas must be at least 1"),
])
def test_validation_messages_in_order(change, message):
    assert validate(ScalerSpec.from_object(scaler(change))) == message


def test_valid_spec():
    assert validate(ScalerSpec.from_object(scaler(minReplicas=5))) is None


def test_context_defaults():
    ctx = ScalingContext.build(ScalerSpec.from_object(scaler()), None, CONTRACT)
    assert (ctx.max_scale_up_rate, ctx.max_scale_down_rate, ctx.tolerance) == (2.0, 0.5, 0.1)
    assert (ctx.up_stabilization_seconds, ctx.down_stabilization_seconds) == (0, 300)
    assert (ctx.up_select_policy, ctx.down_select_policy) == ("Max", "Min")
    assert (ctx.starting_pod_weight, ctx.max_starting_pods, ctx.max_starting_pod_percent) == (0.5, 0, 50)
    assert ctx.effective_tolerance(CONTRACT) == 0.1
    assert ctx.effective_tolerance(AS_BUILT) == pytest.approx(0.001)
    assert ctx.effective_panic_threshold(CONTRACT) == 2.0
    assert ctx.effective_panic_threshold(AS_BUILT) == pytest.approx(0.02)


def test_context_from_behavior():
    behavior = {"scaleUp": {"stabilizationWindowSeconds": 30, "maxScaleRate": "3", "tolerance": "bad",
                            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}],
                            "selectPolicy": "Min",
                            "startingPods": {"startingPodWeight": "x", "maxStartingPods": 2,
                                             "maxStartingPodPercent": 0}},
                "scaleDown": {"stabilizationWindowSeconds": 0, "maxScaleRate": "0.25"}}
    ctx = ScalingContext.build(ScalerSpec.from_object(scaler(behavior=behavior)))
    assert (ctx.up_stabilization_seconds, ctx.down_stabilization_seconds) == (30, 0)
    assert (ctx.max_scale_up_rate, ctx.max_scale_down_rate, ctx.tolerance) == (3.0, 0.25, 0.1)
    assert ctx.up_policies[0].value == 2 and ctx.up_select_policy == "Min"
    assert (ctx.starting_pod_weight, ctx.max_starting_pods, ctx.max_starting_pod_percent) == (0.5, 2, 0)


def test_annotations_override_spec_and_bad_values_are_ignored():
    annotations = {"scaler.bud.studio/scale-up-tolerance": "10",
                   "scaler.bud.studio/max-scale-up-rate": "nope",
                   "scaler.bud.studio/scale-down-cooldown": "1m30.9s",
                   "scaler.bud.studio/scale-up-cooldown": "5 minutes",
                   "scaler.bud.studio/panic-threshold": "200"}
    obj = scaler(behavior={"scaleUp": {"maxScaleRate": "4", "tolerance": "0.2"}},
                 annotations=annotations)
    ctx = ScalingContext.build(ScalerSpec.from_object(obj))
    assert ctx.tolerance == 10.0 and ctx.max_scale_up_rate == 4.0
    assert ctx.down_stabilization_seconds == 90 and ctx.up_stabilization_seconds == 0
    assert ctx.effective_panic_threshold(AS_BUILT) == 2.0          # the sample's "200" = 2x as built
    assert ctx.effective_panic_threshold(CONTRACT) == 200.0        # ... and 200x under the contract


def test_explicit_annotations_argument_wins_over_metadata():
    obj = scaler(annotations={"scaler.bud.studio/scale-up-tolerance": "10"})
    ctx = ScalingContext.build(ScalerSpec.from_object(obj), {}, AS_BUILT)
    assert ctx.tolerance == 0.1
