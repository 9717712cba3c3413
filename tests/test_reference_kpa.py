"""KPA worked by hand: the contract's stable (180 s) and panic (60 s) windows, and the code's per-tick KPA.

Loads are in pods: R x value / target. Ticks are 10 s apart, so the panic window
holds the last 6 ticks and the stable window the last 18.
"""
import pytest
from hypothesis import given, settings, strategies as st

from support.reference.kpa import KpaWindows, recommend
from support.reference.metrics import snapshot
from support.reference.model import AS_BUILT, CONTRACT, Model
from support.reference.stabilization import RecommendationWindow
from test_reference_budscaler import NOW, make_spec, request

NO_DOWN_WINDOW = {"scaleDown": {"stabilizationWindowSeconds": 0}}


def kpa(req, model=CONTRACT, windows=None):
    return recommend(req, model, RecommendationWindow(), windows)


class Run:
    """A KPA scaler over time: one window, one memory, the replicas following each decision."""

    def __init__(self, current, spec=None, model=CONTRACT, annotations=None):
        self.current, self.spec, self.model, self.annotations = current, spec, model, annotations
        self.window, self.windows, self.now = RecommendationWindow(), KpaWindows(), NOW

    def tick(self, value, follow=True):
        req = request(value, self.current, spec=self.spec or make_spec(behavior=NO_DOWN_WINDOW),
                      annotations=self.annotations, now=self.now)
        result = recommend(req, self.model, self.window, self.windows)
        self.now += 10
        if follow:
            self.current = result.replicas
        return result


# -- one tick: a window holding only this tick equals the code's formula -----------
def test_first_burst_enters_panic_without_rate_cap():
    # load 1 x 700/70 = 10 pods; panic desired 10 >= 2.0 x 1 -> panic; no rate cap
    result = kpa(request(700, 1, spec=make_spec(strategy="KPA")))
    assert result.replicas == 10 and result.in_panic_mode
    assert result.reason == ("Scaling up from 1 to 10 replicas based on load metric "
                             "(current: 700.00, target: 70.00) [PANIC MODE] (entered panic mode)")


def test_as_built_default_threshold_is_two_percent():
    # 7/70 = 0.1 >= 2.0/100: "panic" while scaling down (§7.5), no "entered" wording
    result = kpa(request(7, 8, spec=make_spec(behavior=NO_DOWN_WINDOW)), AS_BUILT)
    assert result.replicas == 4 and result.in_panic_mode
    assert result.reason == ("Scaling down from 8 to 4 replicas based on load metric "
                             "(current: 7.00, target: 70.00) [PANIC MODE]")


def test_contract_scale_down_is_not_panic_and_floors_at_half():
    # load 8 x 0.1 = 0.8 -> ceil 1, floor(8 x 0.5) = 4; 1 < 2 x 8: calm
    result = kpa(request(7, 8, spec=make_spec(behavior=NO_DOWN_WINDOW)))
    assert (result.replicas, result.in_panic_mode) == (4, False)
    assert result.reason == ("Scaling down from 8 to 4 replicas based on load metric "
                             "(current: 7.00, target: 70.00)")


def test_outside_panic_the_rate_caps_a_scale_up():
    # threshold 2000 (contract: 2000x; as built: 20x): 10 pods wanted, capped at ceil(1 x 2) = 2
    ann = {"scaler.bud.studio/panic-threshold": "2000"}
    for model in (CONTRACT, AS_BUILT):
        result = kpa(request(700, 1, annotations=ann), model)
        assert (result.replicas, result.in_panic_mode) == (2, False), model.name


def test_panic_threshold_unit_trap():
    # the KPA sample writes "200": as built that is 2x (200/100); the contract reads 200x
    ann = {"scaler.bud.studio/panic-threshold": "200"}
    assert kpa(request(300, 1, annotations=ann), AS_BUILT).in_panic_mode        # ratio 4.3 >= 2
    assert not kpa(request(300, 1, annotations=ann), CONTRACT).in_panic_mode    # 5 pods < 200


def test_ratio_times_current():
    # 100/70 @2: load 2.857 -> 3; 3 < 2 x 2: calm; cap ceil(4)
    assert kpa(request(100, 2)).replicas == 3
    assert kpa(request(100, 2), AS_BUILT).replicas == 3


def test_tolerance_band():
    assert kpa(request(74, 2), CONTRACT).replicas == 2          # 1.057 inside 10 %
    assert kpa(request(74, 2), AS_BUILT).replicas == 3          # ceil(2 x 1.057), band 0.1 %


def test_scale_down_tolerance_is_its_own():
    spec = make_spec(behavior={"scaleDown": {"stabilizationWindowSeconds": 0, "tolerance": "0.3"}})
    # 56/70 @5 = 0.8: within the 30 % down band -> 5; as built the up band applies -> ceil(4) = 4
    assert kpa(request(56, 5, spec=spec)).replicas == 5
    assert kpa(request(56, 5, spec=spec), AS_BUILT).replicas == 4


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
    # ready 1 + starting 1: 50 % starting gates; bypassGateOnPanic lets the panic scale-up through
    assert kpa(request(700, 2, ready=1, starting=1)).replicas == 2
    bypass = make_spec(behavior={"scaleUp": {"startingPods": {"bypassGateOnPanic": True}}})
    assert kpa(request(700, 2, ready=1, starting=1, spec=bypass)).replicas == 10


def test_as_built_cooldown():
    assert kpa(request(7, 8, last_scale_time=NOW - 10), AS_BUILT).replicas == 8


def test_no_scaling_reason():
    result = kpa(request(70, 2))
    assert result.reason == ("No scaling needed. Current replicas 2 is optimal for load metric "
                             "(current: 70.00, target: 70.00)")


# -- windows over time ----------------------------------------------------------------
def test_stable_window_averages_a_short_spike_away():
    # 17 ticks at 2 pods' load, then one tick at 140/70 x 2 = 4 pods' load:
    # stable mean (17 x 2 + 4) / 18 = 2.11 -> within 10 % of 2? no (5.6 %... yes): stays 2;
    # panic mean (5 x 2 + 4) / 6 = 2.33 -> 3 < 2 x 2: calm. As built the one tick decides: 4.
    run = Run(2)
    for _ in range(17):
        assert run.tick(70).replicas == 2
    assert run.tick(140, follow=False).replicas == 2
    as_built = Run(2, model=AS_BUILT)
    assert as_built.tick(140).replicas == 4


def test_stable_desired_follows_the_mean_of_the_window():
    # 2 ticks at 2 pods, then 3 pods' load (105/70 x 2): stable mean (2+2+3)/3 = 2.33 -> 3
    run = Run(2)
    run.tick(70)
    run.tick(70)
    assert run.tick(105, follow=False).replicas == 3


def test_burst_enters_panic_stays_a_stable_window_then_leaves():
    run = Run(1)
    for _ in range(6):
        run.tick(70)                                  # 1 pod's load, calm
    # 7 pods' load: stable (6 x 1 + 7) / 7 = 1.86 -> 2; panic (5 x 1 + 7) / 6 = 2.0 >= 2 x 1
    burst = run.tick(490)
    assert (burst.replicas, burst.in_panic_mode) == (2, True)
    assert burst.reason.endswith("[PANIC MODE] (entered panic mode)")
    entered = run.now - 10
    in_panic = []
    while True:
        result = run.tick(70 * 7 / run.current)       # demand stays at 7 pods' worth
        if not result.in_panic_mode:
            break
        in_panic.append(result.replicas)
    # the panic mean never reaches 2 x current again, so panic ends one stable window (180 s)
    # after the burst tick; meanwhile the count only grows, to the 7 pods needed
    assert in_panic == sorted(in_panic) and in_panic[-1] == 7
    assert run.now - 10 - entered == 180
    assert (result.replicas, result.reason.endswith("(left panic mode)")) == (7, True)


def test_a_panic_mean_just_over_the_current_count_is_not_panic():
    # Knative compares the unrounded panic load: 1.67 pods at 1 replica is below 2 x 1, although it rounds up to 2
    run = Run(1)
    for _ in range(6):
        run.tick(70)
    assert not run.tick(350).in_panic_mode


def test_no_scale_down_while_in_panic():
    windows = KpaWindows(panic_since=NOW - 30, max_panic_pods=6)
    spec = make_spec(behavior=NO_DOWN_WINDOW)
    # load falls to nothing, but the panic began 30 s ago: hold 6
    result = kpa(request(7, 6, spec=spec), CONTRACT, windows)
    assert (result.replicas, result.in_panic_mode) == (6, True)
    later = kpa(request(7, 6, spec=spec, now=NOW + 150), CONTRACT, windows)
    assert (later.replicas, later.in_panic_mode) == (3, False)      # 180 s after: floor(6 x .5)
    assert later.reason.endswith("(left panic mode)")


def test_windows_follow_the_annotations():
    ann = {"scaler.bud.studio/stable-window": "20s", "scaler.bud.studio/panic-window": "10s",
           "scaler.bud.studio/panic-threshold": "3"}
    run = Run(2, annotations=ann)
    run.tick(70)
    run.tick(70)
    # a 20 s stable window holds this tick and the last: (2 + 4) / 2 = 3;
    # the 10 s panic window only this tick: 4 < 3 x 2, calm
    assert run.tick(140, follow=False).replicas == 3


def test_as_built_panic_has_no_hold():
    run = Run(1, model=AS_BUILT, annotations={"scaler.bud.studio/panic-threshold": "200"})
    assert run.tick(700).in_panic_mode                 # 10 >= 2: panic, 10 replicas
    calm = run.tick(70)                                # next tick: ratio 1, calm at once
    assert not calm.in_panic_mode and "left" not in calm.reason


# -- minReplicas 0 ----------------------------------------------------------------------
def test_zero_load_reaches_zero_with_min_zero():
    spec = make_spec(min_replicas=0, behavior=NO_DOWN_WINDOW)
    for model, expected in ((CONTRACT, 0), (AS_BUILT, 1)):
        # at 1 replica: load 0 -> 0, floor(1 x .5) = 0; as built the floor of 1 holds
        assert kpa(request(0, 1, spec=spec), model).replicas == expected, model.name


def test_from_zero_replicas_one_pod_worth_of_load():
    # an external reading at 0 replicas: load = 1 x 140/70 = 2 -> panic (2 >= 2 x 1), 2 replicas
    spec = make_spec(min_replicas=0)
    assert kpa(request(140, 0, spec=spec, ready=0)).replicas == 2
    # below target: any load wants one pod
    assert kpa(request(35, 0, spec=spec, ready=0)).replicas == 1


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1000), min_size=1, max_size=40),
       st.integers(min_value=1, max_value=10))
def test_contract_never_scales_down_while_in_panic(values, start):
    run = Run(start, spec=make_spec(max_replicas=50, behavior=NO_DOWN_WINDOW))
    for value in values:
        before = run.current
        result = run.tick(value)
        if result.in_panic_mode:
            assert result.replicas >= before
        assert 1 <= result.replicas <= 50


@pytest.mark.parametrize("model", [CONTRACT, AS_BUILT, Model("per-tick", frozenset({"kpa-windows-unused"}))])
def test_several_sources_highest_wins(model):
    spec = make_spec(sources=[
        {"metricSourceType": "pod", "targetMetric": "a", "targetValue": "70"},
        {"metricSourceType": "pod", "targetMetric": "b", "targetValue": "10"}],
        behavior=NO_DOWN_WINDOW)
    req = request(current=2, spec=spec, snapshots={"a": snapshot([70]), "b": snapshot([15])})
    result = kpa(req, model)
    # a: within band -> 2; b: load 2 x 1.5 = 3 -> 3 (as built the band is 0.1 %: same)
    assert (result.replicas, result.metric_used) == (3, "b")


def test_bounds_apply_at_once_whatever_the_windows():
    window = RecommendationWindow()
    window.record(NOW - 5, 5)
    spec = make_spec(max_replicas=3, strategy="KPA", behavior={"scaleDown": {"stabilizationWindowSeconds": 60}})
    req = request(95, 5, spec=spec, last_scale_time=NOW - 5)
    assert recommend(req, CONTRACT, window).replicas == 3
    window = RecommendationWindow()
    window.record(NOW - 5, 5)
    assert recommend(req, AS_BUILT, window).replicas == 5
