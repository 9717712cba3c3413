"""The scaling context at its edges: every scale-up rule reaches it, defaults survive a partial startingPods, the
tolerance and panic threshold as each model reads them, and where "within tolerance" starts and ends."""
from hamcrest import assert_that, equal_to, has_properties

from support.reference.model import CONTRACT, model_named
from support.reference.scaling_context import ScalingContext
from support.reference.spec import ScalerSpec


def context(behavior=None, annotations=None, **build):
    spec = {"scaleTargetRef": {"kind": "Deployment", "name": "llm"}, "maxReplicas": 10,
            "metricsSources": [{"metricSourceType": "pod", "targetMetric": "m", "targetValue": "1"}]}
    if behavior is not None:
        spec["behavior"] = behavior
    obj = {"metadata": {"name": "s", "namespace": "ns", "annotations": annotations or {}}, "spec": spec}
    return ScalingContext.build(ScalerSpec.from_object(obj), **build)


def test_the_scale_up_rules_tolerance_and_starting_pod_weight_are_read():
    ctx = context({"scaleUp": {"tolerance": "0.2", "startingPods": {"startingPodWeight": "0.8"}}})
    assert_that(ctx, has_properties(tolerance=0.2, starting_pod_weight=0.8),
                "behavior.scaleUp.tolerance and startingPods.startingPodWeight")


def test_a_partial_starting_pods_keeps_the_other_defaults():
    ctx = context({"scaleUp": {"startingPods": {"maxStartingPods": 2}}})
    assert_that(ctx, has_properties(max_starting_pods=2, max_starting_pod_percent=50, bypass_gate_on_panic=False,
                                    starting_pod_weight=0.5), "only maxStartingPods was given")


def test_the_default_starting_pod_percent_can_be_chosen():
    assert_that(context(default_max_starting_pod_percent=0).max_starting_pod_percent, equal_to(0),
                "the caller's default (0: the last compiling commit's) is used when the spec says nothing")


def test_the_scale_down_tolerance_as_a_percent_alone():
    ctx = ScalingContext(1, 10, scale_down_tolerance=20.0)
    percent = model_named("as-built", ["tolerance-as-percent"])
    assert_that(ctx.effective_down_tolerance(percent), equal_to(0.2), "20 read as 20 % when only that quirk is on")


def test_a_panic_threshold_that_is_not_positive_falls_back_to_twice():
    for threshold in (0.0, -1.0):
        assert_that(ScalingContext(1, 10, panic_threshold=threshold).effective_panic_threshold(CONTRACT),
                    equal_to(2.0), f"panic threshold {threshold}")


def test_within_tolerance_at_its_edges():
    ctx = ScalingContext(1, 10, tolerance=0.1, scale_down_tolerance=0.0)
    assert_that(ctx.within_tolerance(1.0, CONTRACT), equal_to(True),
                "a ratio of exactly 1 is judged by the scale-up tolerance (0.1), not the scale-down one (0)")
    half = ScalingContext(1, 10, scale_down_tolerance=0.5)
    assert_that(half.within_tolerance(0.5, CONTRACT), equal_to(False),
                "1 - 0.5 is not strictly below a scale-down tolerance of 0.5")
