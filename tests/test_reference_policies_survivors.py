"""Policies, rates and stabilization (support/reference/policies.py, stabilization.py) at the edges their other
tests left open: written against the survivors of `make mutation` (docs/mutation-survivors.md): Disabled with
policies as built, a steady count under the never-scales-to-zero floor, rates between 0 and 1, the memory of
scale events, and recommendations forgotten by a window of 0 or exactly at its edge.
"""
from hamcrest import assert_that, equal_to

from support.reference.model import CONTRACT, model_named
from support.reference.policies import ScaleEvents, apply_policies, down_rate_floor
from support.reference.scaling_context import ScalingContext
from support.reference.stabilization import RecommendationWindow
from test_reference_budscaler import make_spec

NEEDS_POLICIES = model_named("as-built", ["select-disabled-needs-policies"])
NEVER_ZERO = model_named("as-built", ["never-scales-to-zero"])
ONE_POD = [{"type": "Pods", "value": 1, "periodSeconds": 60}]


def context(**behavior):
    return ScalingContext.build(make_spec(min_replicas=0, behavior=behavior), {})


def test_as_built_disabled_with_policies_freezes_both_directions():
    ctx = context(scaleUp={"selectPolicy": "Disabled", "policies": ONE_POD},
                  scaleDown={"selectPolicy": "Disabled", "policies": ONE_POD})
    assert_that(apply_policies(ctx, 4, 8, NEEDS_POLICIES), equal_to(4), "Disabled with policies: no scale-up")
    assert_that(apply_policies(ctx, 4, 1, NEEDS_POLICIES), equal_to(4), "Disabled with policies: no scale-down")


def test_a_steady_count_of_zero_stays_zero_under_the_never_scales_to_zero_floor():
    ctx = context(scaleDown={"policies": ONE_POD})
    assert_that(apply_policies(ctx, 0, 0, NEVER_ZERO), equal_to(0),
                "no change wanted: the scale-down floor of 1 does not apply")


def test_a_scale_down_rate_between_zero_and_one_multiplies():
    assert_that(down_rate_floor(8, 0.25, CONTRACT), equal_to(2), "rate 0.25 lets 8 fall to 2")


def test_scale_events_are_kept_for_less_than_the_longest_period():
    events = ScaleEvents()
    events.record(0.0, 1, 2)
    events.record(1800.0, 2, 3)
    assert_that(events.events, equal_to([(1800.0, 1)]), "an event 1800 s old can no longer matter: forgotten")


def test_a_window_of_zero_forgets_the_earlier_recommendations():
    window = RecommendationWindow()
    window.record(99.5, 9)
    assert_that(window.stabilize(100.0, 5, 5, 0, 0), equal_to(5), "no window: the desired count")
    # the scale-down window widens: a recommendation forgotten at 100 must not come back
    assert_that(window.stabilize(100.2, 5, 2, 0, 10), equal_to(2), "9 was forgotten, 2 is the highest")


def test_a_recommendation_exactly_a_window_old_is_forgotten():
    window = RecommendationWindow()
    window.record(50.0, 9)
    assert_that(window.stabilize(100.0, 5, 5, 0, 50), equal_to(5), "9 at exactly 50 s old is out of the window")
    assert_that(window.stabilize(101.0, 5, 2, 0, 100), equal_to(2),
                "once forgotten, a wider window does not bring 9 back")
