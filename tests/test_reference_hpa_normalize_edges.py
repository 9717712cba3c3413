"""Edges of how the HPA turns a proposal into replicas (support/reference/hpa_normalize.py), by hand.

Written against the survivors of `make mutation` in support/reference/hpa_normalize.py: the
conditions each path leaves, which recommendations a window keeps and which slot is reused, the
bounds at equality, the rate limits per policy kind and select policy, and the scale events kept.
"""
from support.reference.hpa import apply_defaults
from support.reference.hpa_normalize import HpaState, normalize
from support.reference.hpa_status import HpaStatus

NOW = 1_767_607_200.0


def rules(**behavior):
    """A behaviour as the API server stores it (defaults filled in)."""
    return apply_defaults({"spec": {"behavior": behavior}})["spec"]["behavior"]


def run(current, desired, behavior=None, minimum=1, maximum=10, state=None, now=NOW):
    result, status = normalize(state or HpaState(), HpaStatus(), behavior, current, desired, minimum, maximum, now)
    conditions = {c.type: (c.status, c.reason, c.message) for c in status.conditions}
    return result, conditions


def test_no_change_is_ready_and_within_range():
    for behavior in (None, rules()):
        assert run(2, 2, behavior) == (2, {
            "AbleToScale": ("True", "ReadyForNewScale", "recommended size matches current size"),
            "ScalingLimited": ("False", "DesiredWithinRange", "the desired count is within the acceptable range")})


def test_a_scale_down_held_by_the_window_says_so():
    state = HpaState(recommendations=[(NOW - 10, 5)])
    held = ("True", "ScaleDownStabilized",
            "recent recommendations were higher than current one, applying the highest recent recommendation")
    assert run(5, 2, state=state)[1]["AbleToScale"] == held
    state = HpaState(recommendations=[(NOW - 10, 5)])
    assert run(5, 2, rules(scaleDown={"stabilizationWindowSeconds": 300}), state=state) == (5, {
        "AbleToScale": held,
        "ScalingLimited": ("False", "DesiredWithinRange", "the desired count is within the acceptable range")})


def recommendations_after(kept, replicas, behavior=None):
    """The recommendations the HPA stores after one run at `replicas` (current and desired) from `kept`."""
    state = HpaState(recommendations=list(kept))
    run(replicas, replicas, behavior, state=state)
    return state.recommendations


def test_the_default_window_reuses_the_last_outdated_slot():
    # cutoff NOW - 300: 1000 s and 900 s and 400 s ago are outdated; the last of them is replaced
    assert recommendations_after([(NOW - 1000, 1), (NOW - 900, 2), (NOW - 400, 3), (NOW - 10, 4)], 4) == \
        [(NOW - 1000, 1), (NOW - 900, 2), (NOW, 4), (NOW - 10, 4)]
    # exactly at the cutoff is not outdated: appended
    assert recommendations_after([(NOW - 300, 3)], 4) == [(NOW - 300, 3), (NOW, 4)]


def test_with_a_behaviour_a_slot_is_outdated_only_for_both_windows():
    behavior = rules(scaleUp={"stabilizationWindowSeconds": 60}, scaleDown={"stabilizationWindowSeconds": 300})
    # 100 s ago: outside the scale-up window, inside the scale-down window -> kept, the new one appended
    assert recommendations_after([(NOW - 100, 3)], 3, behavior) == [(NOW - 100, 3), (NOW, 3)]
    # exactly 300 s ago: not before the scale-down cutoff -> kept
    assert recommendations_after([(NOW - 300, 3)], 3, behavior) == [(NOW - 300, 3), (NOW, 3)]
    # exactly 60 s ago with a 30 s scale-down window: not before the scale-up cutoff -> kept
    short = rules(scaleUp={"stabilizationWindowSeconds": 60}, scaleDown={"stabilizationWindowSeconds": 30})
    assert recommendations_after([(NOW - 60, 3)], 3, short) == [(NOW - 60, 3), (NOW, 3)]
    # before both: replaced
    assert recommendations_after([(NOW - 400, 3)], 3, behavior) == [(NOW, 3)]


def test_a_scale_up_rule_without_a_window_has_none():
    # half a second ago a 1 was recommended; with no scale-up window it does not hold the scale-up to 4
    behavior = {"scaleUp": {"selectPolicy": "Max", "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}]},
                "scaleDown": {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100,
                                                                   "periodSeconds": 15}]}}
    assert run(2, 4, behavior, state=HpaState(recommendations=[(NOW - 0.5, 1)]))[0] == 4


def test_bounds_at_equality_are_within_range():
    within = ("False", "DesiredWithinRange", "the desired count is within the acceptable range")
    # no behaviour, current 2: the ceiling is max(2 x 2, 4) = 4
    assert run(2, 1, minimum=1)[1]["ScalingLimited"] == within
    assert run(2, 4, maximum=10)[1]["ScalingLimited"] == within
    # maximum equal to the rate limit: it is the maximum that limits
    assert run(2, 6, maximum=4) == (4, {
        "AbleToScale": ("True", "ReadyForNewScale", "recommended size matches current size"),
        "ScalingLimited": ("True", "TooManyReplicas",
                           "the desired replica count is more than the maximum replica count")})


def test_behaviour_rate_limits_at_and_above_the_maximum():
    up = rules(scaleUp={"policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}]})
    # limit 2 + 4 = 6 is above the maximum 5: the maximum limits
    result, conditions = run(2, 10, up, maximum=5)
    assert (result, conditions["ScalingLimited"][1]) == (5, "TooManyReplicas")
    # limit 6 equal to the maximum 6: still the maximum
    assert run(2, 10, up, maximum=6)[1]["ScalingLimited"][1] == "TooManyReplicas"
    # desired exactly at the limit: within range
    assert run(2, 6, up, maximum=10)[1]["ScalingLimited"][1] == "DesiredWithinRange"
    down = rules(scaleDown={"stabilizationWindowSeconds": 0,
                            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 15}]})
    # floor 6 - 2 = 4 below the minimum 5: the minimum limits
    assert run(6, 1, down, minimum=5)[0] == 5
    assert run(6, 1, down, minimum=5)[1]["ScalingLimited"][1] == "TooFewReplicas"
    assert run(6, 1, down, minimum=4)[1]["ScalingLimited"][1] == "TooFewReplicas"
    assert run(6, 4, down, minimum=1)[1]["ScalingLimited"][1] == "DesiredWithinRange"


def test_percent_policies_round_as_kubernetes_does():
    # up: 101 + 100 % = 202 (rounded up); down: 1000 - 50 % = 500 (truncated)
    up = rules(scaleUp={"policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]})
    assert run(101, 1000, up, maximum=1000)[0] == 202
    down = rules(scaleDown={"stabilizationWindowSeconds": 0,
                            "policies": [{"type": "Percent", "value": 50, "periodSeconds": 15}]})
    assert run(1000, 1, down, maximum=1000)[0] == 500
    pods = rules(scaleDown={"stabilizationWindowSeconds": 0,
                            "policies": [{"type": "Pods", "value": 5, "periodSeconds": 15}]})
    assert run(10, 1, pods)[0] == 5


def test_scale_down_select_policies():
    two = [{"type": "Pods", "value": 1, "periodSeconds": 15}, {"type": "Percent", "value": 50, "periodSeconds": 15}]
    # from 10: Pods allows 9, Percent allows 5; Max (default) takes the larger change -> 5, Min the smaller -> 9
    assert run(10, 1, rules(scaleDown={"stabilizationWindowSeconds": 0, "policies": two}))[0] == 5
    assert run(10, 1, rules(scaleDown={"stabilizationWindowSeconds": 0, "policies": two,
                                       "selectPolicy": "Min"}))[0] == 9
    assert run(10, 1, rules(scaleDown={"stabilizationWindowSeconds": 0, "policies": two,
                                       "selectPolicy": "Disabled"}))[0] == 10


def test_scale_events_are_kept_for_the_longest_period_of_their_direction():
    behavior = rules(scaleUp={"policies": [{"type": "Pods", "value": 4, "periodSeconds": 60}]},
                     scaleDown={"policies": [{"type": "Pods", "value": 4, "periodSeconds": 600}]})
    state = HpaState()
    state.store_scale_event(behavior, 2, 3, NOW)
    state.store_scale_event(behavior, 3, 5, NOW + 60)
    # the scale-up period is 60 s: an event exactly 60 s old is kept ...
    assert state.up_events == [(NOW, 1), (NOW + 60, 2)]
    state.store_scale_event(behavior, 5, 7, NOW + 100)
    # ... and one 100 s old is dropped
    assert state.up_events == [(NOW + 60, 2), (NOW + 100, 2)]
    for t in (0, 100):
        state.store_scale_event(behavior, 7, 6, NOW + t)
    assert state.down_events == [(NOW, 1), (NOW + 100, 1)]     # the 600 s period keeps both
    state = HpaState()
    state.store_scale_event(behavior, 2, 3, NOW)
    state.store_scale_event(behavior, 3, 4, NOW + 30)
    assert state.up_events == [(NOW, 1), (NOW + 30, 1)]
    state.store_scale_event(behavior, 4, 4, NOW + 40)           # no change, no event
    assert state.up_events == [(NOW, 1), (NOW + 30, 1)]
