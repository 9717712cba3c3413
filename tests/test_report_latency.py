"""Timelines and controller reaction latency, from observations fed by hand."""

from support.report.latency import reactions, summary
from support.report.timeline import Timeline

T0 = 1_000_000.0


def scaler(desired, generation=1, predicted=None, window_down=60):
    status = {"desiredScale": desired, "actualScale": desired}
    if predicted is not None:
        status["predictionStatus"] = {"predictedReplicas": predicted}
    return {"metadata": {"name": "s", "generation": generation},
            "spec": {"minReplicas": 1, "maxReplicas": 5, "scaleTargetRef": {"name": "d"},
                     "metricsSources": [{"targetMetric": "vllm:gpu_cache_usage_perc", "targetValue": "70"}],
                     "behavior": {"scaleDown": {"stabilizationWindowSeconds": window_down}}},
            "status": status}


def deployment(replicas, ready):
    return {"spec": {"replicas": replicas}, "status": {"readyReplicas": ready}}


def feed(timeline, at, desired=None, replicas=None, ready=None, generation=1):
    if desired is not None:
        timeline.observe_scaler(scaler(desired, generation), T0 + at)
    if replicas is not None:
        timeline.observe_deployment(deployment(replicas, ready), T0 + at)


def test_a_scale_up_measures_from_the_load_change_to_the_decision_and_to_all_pods_ready():
    timeline = Timeline(start=T0)
    feed(timeline, 0, desired=1, replicas=1, ready=1)
    timeline.load_set("/set", {"gpu_cache": "85"}, T0 + 10)
    feed(timeline, 12, desired=1)
    feed(timeline, 21, desired=3, replicas=3, ready=1)
    feed(timeline, 25, replicas=3, ready=3)

    [up] = reactions(timeline)
    assert (up.direction, up.from_replicas, up.to_replicas) == ("up", 1, 3)
    assert up.cause == "load gpu_cache=85"
    assert (up.to_decision, up.to_running) == (11.0, 15.0)


def test_a_decision_overtaken_before_the_deployment_ran_it_is_superseded():
    timeline = Timeline(start=T0)
    feed(timeline, 0, desired=1, replicas=1, ready=1)
    timeline.load_set("/set", {"gpu_cache": "100"}, T0 + 1)
    feed(timeline, 2, desired=2, replicas=2, ready=1)
    feed(timeline, 32, desired=3, replicas=3, ready=2)
    feed(timeline, 40, replicas=3, ready=3)

    first, second = reactions(timeline)
    assert first.superseded and first.running_at is None
    assert (second.to_decision, second.to_running, second.superseded) == (31.0, 39.0, False)


def test_a_change_seen_in_the_same_instant_as_a_decision_did_not_cause_it():
    """On the virtual clock a step can set the load in the instant the last wait saw a decision."""
    timeline = Timeline(start=T0)
    timeline.load_set("/set", {"gpu_cache": "85"}, T0)
    feed(timeline, 0, desired=1, replicas=1, ready=1)
    feed(timeline, 30, desired=3, replicas=3, ready=3)
    timeline.load_set("/set", {"gpu_cache": "20"}, T0 + 30)
    feed(timeline, 90, desired=2, replicas=2, ready=2)

    up, down = reactions(timeline)
    assert up.cause == "load gpu_cache=85" and up.to_decision == 30.0
    assert down.cause == "load gpu_cache=20" and down.to_decision == 60.0


def test_a_spec_change_is_a_cause_and_the_first_desired_counts_from_the_deployments_replicas():
    timeline = Timeline(start=T0)
    feed(timeline, 0, replicas=1, ready=1)
    feed(timeline, 1, desired=1)
    feed(timeline, 5, desired=1, generation=2)          # bounds patched: spec changed
    feed(timeline, 7, desired=2, replicas=2, ready=2, generation=2)

    [up] = reactions(timeline)
    assert up.cause == "scaler spec changed" and up.to_decision == 2.0


def test_no_cause_no_latency_and_a_quiet_timeline_keeps_one_sample():
    timeline = Timeline(start=T0)
    for second in range(100):
        feed(timeline, second, desired=1, replicas=1, ready=1)
    assert len(timeline.samples) == 1
    feed(timeline, 100, desired=2, replicas=2, ready=2)
    [up] = reactions(timeline)
    assert up.cause is None and up.to_decision is None and up.running_at == 100.0


def test_the_timeline_survives_json_and_knows_the_scalers_shape():
    timeline = Timeline(start=T0)
    feed(timeline, 0, desired=1, replicas=1, ready=1)
    timeline.load_set("/set", {"gpu_cache": "85", "mode": "steady"}, T0 + 3)
    again = Timeline.from_dict(timeline.to_dict())
    assert again.samples == timeline.samples and again.changes == timeline.changes
    assert again.shape.target == 70.0 and again.shape.down_window == 60.0 and again.shape.up_window == 0
    assert again.changes[0].values == {"gpu_cache": 85.0}


def test_the_summary_gives_median_and_worst_per_direction():
    timeline = Timeline(start=T0)
    feed(timeline, 0, desired=1, replicas=1, ready=1)
    for start, level, desired in ((10, "90", 2), (100, "95", 3), (200, "99", 4)):
        timeline.load_set("/set", {"gpu_cache": level}, T0 + start)
        feed(timeline, start + 5 * desired, desired=desired, replicas=desired, ready=desired)
    figures = summary(reactions(timeline))
    assert figures["up"] == {"count": 3, "decision_median": 15.0, "decision_max": 20.0,
                             "running_median": 15.0, "running_max": 20.0}
    assert figures["down"]["count"] == 0 and figures["down"]["decision_median"] is None
