"""Every field of a BudAIScaler object is read from its own key, and every absent field takes its default (§1.2).

Written against the survivors of `make mutation` in support/reference/spec.py: a
field read from a misspelt key, or defaulted to something else, must change the
parsed spec.
"""

from support.reference.spec import (Behavior, CostConfig, GPUConfig, InferenceEngineConfig, MetricSource,
                                    PredictionConfig, ScalerSpec, ScalingPolicy, ScalingRules, ScheduleHint,
                                    StartingPods, TargetRef, validate)

FULL = {
    "metadata": {"name": "llm-scaler", "namespace": "team-a", "annotations": {"a": "b"}},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "llm"},
        "minReplicas": 2, "maxReplicas": 9, "scalingStrategy": "KPA",
        "metricsSources": [{
            "metricSourceType": "custom", "targetMetric": "queue", "targetValue": 12,
            "protocolType": "https", "endpoint": "svc.ns", "path": "/m", "port": 9090, "promQL": "sum(q)",
            "headers": {"Authorization": "t"},
            "inferenceEngineConfig": {"engineType": "vllm", "metricsPort": 9400, "metricsPath": "/vllm"},
        }],
        "behavior": {
            "scaleUp": {"stabilizationWindowSeconds": 30, "selectPolicy": "Max", "maxScaleRate": 2,
                        "tolerance": 0.2,
                        "policies": [{"type": "Pods", "value": 4, "periodSeconds": 60}],
                        "startingPods": {"startingPodWeight": 0.5, "maxStartingPods": 3,
                                         "maxStartingPodPercent": 40, "bypassGateOnPanic": True}},
            "scaleDown": {"stabilizationWindowSeconds": 120, "policies": [{"type": "Percent", "value": 50,
                                                                           "periodSeconds": 30}]},
        },
        "gpuConfig": {"enabled": True, "gpuMemoryThreshold": 80, "gpuComputeThreshold": 70,
                      "topologyAware": True, "preferredGPUType": "A100", "vgpuSupport": True},
        "costConfig": {"enabled": True, "cloudProvider": "gcp", "budgetPerHour": "10", "budgetPerDay": 200,
                       "preferSpotInstances": True, "spotFallbackToOnDemand": False,
                       "costOptimizationMode": "aggressive"},
        "predictionConfig": {"enabled": True, "lookAheadMinutes": 5, "historicalDataDays": 3,
                             "enableLearning": False, "predictionMetrics": ["queue"], "seasonalMetrics": ["load"]},
        "scheduleHints": [{"name": "rush", "cronExpression": "0 9 * * 1-5", "targetReplicas": 4,
                           "duration": "2h"}],
    },
}


def test_every_field_is_read_from_its_key():
    assert ScalerSpec.from_object(FULL) == ScalerSpec(
        name="llm-scaler", namespace="team-a", annotations={"a": "b"},
        scale_target_ref=TargetRef("apps/v1", "StatefulSet", "llm"),
        min_replicas=2, max_replicas=9, scaling_strategy="KPA",
        metrics_sources=(MetricSource(
            metric_source_type="custom", target_metric="queue", target_value="12", protocol_type="https",
            endpoint="svc.ns", path="/m", port="9090", prom_ql="sum(q)", headers={"Authorization": "t"},
            inference_engine_config=InferenceEngineConfig("vllm", 9400, "/vllm")),),
        behavior=Behavior(
            scale_up=ScalingRules(30, "Max", (ScalingPolicy("Pods", 4, 60),), "2", "0.2",
                                  StartingPods("0.5", 3, 40, True)),
            scale_down=ScalingRules(120, None, (ScalingPolicy("Percent", 50, 30),), None, None, None)),
        gpu_config=GPUConfig(True, 80, 70, True, "A100", True),
        cost_config=CostConfig(True, "gcp", "10", 200, True, False, "aggressive"),
        prediction_config=PredictionConfig(True, 5, 3, False, ("queue",), ("load",)),
        schedule_hints=(ScheduleHint("rush", "0 9 * * 1-5", 4, "2h"),),
    )


def test_every_absent_field_takes_its_default():
    bare = {"spec": {"metricsSources": [{"inferenceEngineConfig": {}}],
                     "behavior": {"scaleUp": {"policies": [{}], "startingPods": {}}},
                     "gpuConfig": {}, "costConfig": {}, "predictionConfig": {}, "scheduleHints": [{}]}}
    assert ScalerSpec.from_object(bare) == ScalerSpec(
        name="", namespace="", annotations={}, scale_target_ref=TargetRef("", "", ""),
        min_replicas=1, max_replicas=0, scaling_strategy="BudScaler",
        metrics_sources=(MetricSource("", "", "", "", "", "", "", "", {}, InferenceEngineConfig("", 8000, "/metrics")),),
        behavior=Behavior(ScalingRules(None, None, (ScalingPolicy("", 0, 0),), None, None,
                                       StartingPods(None, None, None, None)), None),
        gpu_config=GPUConfig(False, None, None, False, "", False),
        cost_config=CostConfig(False, "aws", None, None, False, True, "balanced"),
        prediction_config=PredictionConfig(False, 15, 7, True, ("",), ("",)),
        schedule_hints=(ScheduleHint("", "", 0, ""),),
    )


def test_empty_values_read_as_their_defaults():
    source = ScalerSpec.from_object({"spec": {"scalingStrategy": "", "metricsSources": [
        {"protocolType": None, "endpoint": None, "path": None, "port": None, "promQL": None, "headers": None}]}})
    assert source.scaling_strategy == "BudScaler"
    assert source.metrics_sources[0] == MetricSource("", "", "", "", "", "", "", "", {})


def test_one_replica_at_most_is_valid():
    spec = ScalerSpec.from_object({"spec": {"scaleTargetRef": {"name": "llm"}, "maxReplicas": 1,
                                            "metricsSources": [{"targetMetric": "load", "targetValue": "1"}]}})
    assert validate(spec) is None


def test_an_unset_budget_and_an_unparsable_duration_are_zero():
    assert CostConfig().budget_per_hour_value() == 0.0
    assert CostConfig(budget_per_hour="2.5").budget_per_hour_value() == 2.5
    assert ScheduleHint("h", "* * * * *", 1, "soon").duration_seconds() == 0.0
    assert ScheduleHint("h", "* * * * *", 1, "90s").duration_seconds() == 90.0
