"""Edges of the KPA recommendation (support/reference/kpa.py): what the recommendation carries besides replicas.

Written against the survivors of `make mutation` in support/reference/kpa.py: the direction, the metric,
its value and target and the count before stabilization, for a scale-up, a scale-down and no change.
"""
from support.reference.model import CONTRACT
from support.reference.stabilization import RecommendationWindow
from support.reference.kpa import recommend
from test_reference_budscaler import make_spec, request
from test_reference_kpa import NO_DOWN_WINDOW


def fields(result):
    return (result.replicas, result.direction, result.metric_used, result.current_value, result.target_value,
            result.unstabilized)


def test_a_scale_up_says_up_and_names_the_metric_value_and_target():
    # 1 pod at 700 vs 70: 10 pods wanted (panic, no rate cap)
    result = recommend(request(700, 1, spec=make_spec(strategy="KPA")), CONTRACT, RecommendationWindow())
    assert fields(result) == (10, "up", "load", 700.0, 70.0, 10)


def test_a_scale_down_says_down_and_keeps_the_count_before_stabilization():
    # 8 pods at 7 vs 70: 0.8 -> 1 wanted, floored at half of 8 = 4; no scale-down window
    result = recommend(request(7, 8, spec=make_spec(behavior=NO_DOWN_WINDOW)), CONTRACT, RecommendationWindow())
    assert fields(result) == (4, "down", "load", 7.0, 70.0, 4)


def test_no_change_says_none_and_why():
    result = recommend(request(70, 1, spec=make_spec(strategy="KPA")), CONTRACT, RecommendationWindow())
    assert fields(result) == (1, "none", "load", 70.0, 70.0, 1)
    assert result.reason == ("No scaling needed. Current replicas 1 is optimal for load metric "
                             "(current: 70.00, target: 70.00)")
