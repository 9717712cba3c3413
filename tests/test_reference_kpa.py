"""KPA (§4.4) worked by hand; the default panic threshold 2.0/100 puts almost any load in panic."""
from support.reference.kpa import recommend
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.stabilization import RecommendationWindow
from test_reference_budscaler import NOW, make_spec, request


def kpa(req, model=CONTRACT):
    return recommend(req, model, RecommendationWindow())


NO_DOWN_WINDOW = {"scaleDown": {"stabilizationWindowSeconds": 0}}


def test_scale_up_in_panic_has_no_rate_cap():
    # 700/70 = 10 >= 0.02 -> panic; ceil(1 * 10) = 10
    result = kpa(request(700, 1, spec=make_spec(strategy="KPA")))
    assert result.replicas == 10 and result.in_panic_mode
    assert result.reason == ("Scaling up from 1 to 10 replicas based on load metric "
                             "(current: 700.00, target: 70.00) [PANIC MODE]")


def test_scale_up_outside_panic_is_rate_capped():
    ann = {"scaler.bud.studio/panic-threshold": "2000"}    # 20x target
    result = kpa(request(700, 1, annotations=ann))
    assert (result.replicas, result.in_panic_mode) == (2, False)


def test_ratio_times_current():
    # 100/70 @2: ceil(2.857) = 3
    assert kpa(request(100, 2)).replicas == 3


def test_scale_down_floor_is_half():
    spec = make_spec(behavior=NO_DOWN_WINDOW)
    result = kpa(request(7, 8, spec=spec))   # ceil(0.8) = 1, floor(8 * .5) = 4
    assert result.replicas == 4 and result.reason.endswith("[PANIC MODE]")
    zero = kpa(request(0, 4, spec=spec))     # ratio 0 < 0.02: no panic; halves
    assert (zero.replicas, zero.in_panic_mode) == (2, False)
    assert zero.reason == ("Scaling down from 4 to 2 replicas based on load metric "
                           "(current: 0.00, target: 70.00)")


def test_tolerance_band():
    assert kpa(request(74, 2), CONTRACT).replicas == 2
    assert kpa(request(74, 2), AS_BUILT).replicas == 3    # ceil(2 * 1.057)


def test_no_metric_keeps_current_then_clamps():
    assert kpa(request(None, 3)).replicas == 3
    assert kpa(request(None, 0, spec=make_spec(min_replicas=1))).replicas == 1


def test_policies_skipped_in_panic_but_not_outside():
    up = {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    spec = make_spec(behavior=up)
    assert kpa(request(700, 1, spec=spec)).replicas == 10
    calm = {"scaler.bud.studio/panic-threshold": "2000"}
    assert kpa(request(700, 1, spec=spec, annotations=calm)).replicas == 2


def test_gate_and_bypass_on_panic():
    assert kpa(request(700, 2, ready=1, starting=1)).replicas == 2
    bypass = make_spec(behavior={"scaleUp": {"startingPods": {"bypassGateOnPanic": True}}})
    assert kpa(request(700, 2, ready=1, starting=1, spec=bypass)).replicas == 10


def test_as_built_cooldown():
    assert kpa(request(7, 8, last_scale_time=NOW - 10), AS_BUILT).replicas == 8


def test_no_scaling_reason():
    result = kpa(request(70, 2))
    assert result.reason == ("No scaling needed. Current replicas 2 is optimal for load metric "
                             "(current: 70.00, target: 70.00)")


def test_bounds_apply_at_once_whatever_the_windows():
    window = RecommendationWindow()
    window.record(NOW - 5, 5)
    spec = make_spec(max_replicas=3, strategy="KPA", behavior={"scaleDown": {"stabilizationWindowSeconds": 60}})
    req = request(95, 5, spec=spec, last_scale_time=NOW - 5)
    assert recommend(req, CONTRACT, window).replicas == 3
    window = RecommendationWindow()
    window.record(NOW - 5, 5)
    assert recommend(req, AS_BUILT, window).replicas == 5
