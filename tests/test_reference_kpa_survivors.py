"""KPA (support/reference/kpa.py) at the edges the other KPA tests left open: written against the survivors of
`make mutation` (docs/mutation-survivors.md): several metrics, missing or non-positive targets, the
starting-pods baseline, rate caps that need the model, policies with and without panic, the panic hold, and
the as-built per-tick path with and without its never-scales-to-zero quirk.
"""
from hamcrest import assert_that, contains_string, equal_to, has_properties

from support.reference.kpa import KpaWindows, recommend
from support.reference.metrics import snapshot
from support.reference.model import AS_BUILT, CONTRACT, model_named
from support.reference.policies import ScaleEvents
from support.reference.stabilization import RecommendationWindow
from test_reference_budscaler import NOW, make_spec, request
from test_reference_kpa import NO_DOWN_WINDOW

PER_TICK = model_named("as-built", ["kpa-windows-unused"])        # the code's KPA, but it may scale to zero
REVERSED = model_named("as-built", ["rate-reverses-direction"])    # the contract's windows, the code's rates
NO_GATE = {**NO_DOWN_WINDOW, "scaleUp": {"startingPods": {"maxStartingPodPercent": 0}}}
CALM = {"scaler.bud.studio/panic-threshold": "10000"}              # no panic, also as built (100x)


def load(target="70", metric="load"):
    return {"metricSourceType": "pod", "targetMetric": metric, "targetValue": target}


def two_metrics(first="70", second="10"):
    return [load(first), load(second, "queue")]


def kpa(req, model=CONTRACT, windows=None):
    return recommend(req, model, RecommendationWindow(), windows)


def scaled(current, value, model=CONTRACT, behavior=NO_DOWN_WINDOW, annotations=None, sources=None,
           snapshots=None, min_replicas=1, **kw):
    spec = make_spec(min_replicas=min_replicas, behavior=behavior, sources=sources)
    return kpa(request(value, current, spec=spec, annotations=annotations, snapshots=snapshots, **kw), model)


# -- several metrics -----------------------------------------------------------------
def test_of_two_metrics_wanting_the_same_count_the_first_is_named():
    # 140/70 and 20/10: both 2 pods from 1; no panic, rate cap 2
    snaps = {"load": snapshot([140]), "queue": snapshot([20])}
    for model in (CONTRACT, AS_BUILT):
        result = scaled(1, None, model, annotations=CALM, sources=two_metrics(), snapshots=snaps)
        assert_that(result, has_properties(replicas=2, metric_used="load"),
                    f"{model.name}: a tie between metrics keeps the first one listed")


def test_the_metric_wanting_more_wins_even_when_listed_first():
    # 210/70 = 3 pods, 20/10 = 2 pods; rate 10 lets 1 -> 3
    snaps = {"load": snapshot([210]), "queue": snapshot([20])}
    ann = {**CALM, "scaler.bud.studio/max-scale-up-rate": "10"}
    for model in (CONTRACT, AS_BUILT):
        result = scaled(1, None, model, annotations=ann, sources=two_metrics(), snapshots=snaps)
        assert_that(result, has_properties(replicas=3, metric_used="load"),
                    f"{model.name}: the largest desired count wins, not the last metric read")


def test_a_metric_without_a_reading_is_skipped_and_the_next_one_still_counts():
    snaps = {"queue": snapshot([30])}   # "load" has no reading; queue 30/10 = 3 pods from 1
    ann = {**CALM, "scaler.bud.studio/max-scale-up-rate": "10"}
    for model in (CONTRACT, AS_BUILT):
        result = scaled(1, None, model, annotations=ann, sources=two_metrics(), snapshots=snaps)
        assert_that(result, has_properties(replicas=3, metric_used="queue"),
                    f"{model.name}: the metric after one without a reading must still be read")


def test_a_zero_target_is_skipped():
    snaps = {"load": snapshot([50]), "queue": snapshot([30])}
    ann = {**CALM, "scaler.bud.studio/max-scale-up-rate": "10"}
    for model in (CONTRACT, AS_BUILT):
        result = scaled(1, None, model, annotations=ann, sources=two_metrics(first="0"), snapshots=snaps)
        assert_that(result, has_properties(replicas=3, metric_used="queue"),
                    f"{model.name}: a target of 0 gives no ratio; the other metric decides")


def test_as_built_a_zero_target_alone_keeps_current_and_is_no_panic():
    result = scaled(3, 50, AS_BUILT, sources=[load("0")])
    assert_that(result, has_properties(replicas=3, in_panic_mode=False),
                "as built a metric with target 0 wants the current count and is not in panic")


def test_a_target_of_one_is_a_real_target():
    # 1.5 per pod vs 1: 1.5 pods -> 2 from 1 (calm, cap 2)
    for model in (CONTRACT, AS_BUILT):
        result = scaled(1, 1.5, model, annotations=CALM, sources=[load("1")])
        assert_that(result.replicas, equal_to(2), f"{model.name}: a target of 1 must be used like any other")


# -- the starting-pods baseline (R = ready + weight x starting on a scale-up) ------------
def test_the_baseline_multiplies_a_scale_up_only():
    # 2 replicas, 2 ready + 2 starting at weight 0.5: baseline 3 > 2
    up = scaled(2, 105, CONTRACT, annotations={**CALM, "scaler.bud.studio/max-scale-up-rate": "10"},
                ready=2, starting=2, behavior=NO_GATE)
    assert_that(up.replicas, equal_to(5), "scale-up: 3 (baseline) x 1.5 = 4.5 -> 5, not 2 x 1.5 = 3")
    down = scaled(2, 35, CONTRACT, ready=2, starting=2, behavior=NO_GATE)
    assert_that(down.replicas, equal_to(1), "scale-down: 2 x 0.5 = 1 (current, not the baseline 3 x 0.5 -> 2)")


def test_as_built_the_baseline_multiplies_a_scale_up_only():
    ann = {**CALM, "scaler.bud.studio/max-scale-up-rate": "10"}
    up = scaled(2, 105, PER_TICK, annotations=ann, ready=2, starting=2, behavior=NO_GATE)
    assert_that(up.replicas, equal_to(5), "as built, scale-up: baseline 3 x 1.5 -> 5")
    down = scaled(2, 35, PER_TICK, annotations=CALM, ready=2, starting=2, behavior=NO_GATE)
    assert_that(down.replicas, equal_to(1), "as built, scale-down: current 2 x 0.5 = 1")


def test_without_a_tolerance_a_ratio_of_exactly_one_keeps_current_despite_the_baseline():
    ann = {**CALM, "scaler.bud.studio/scale-up-tolerance": "0", "scaler.bud.studio/max-scale-up-rate": "10"}
    for model in (CONTRACT, PER_TICK):
        result = scaled(2, 70, model, annotations=ann, ready=2, starting=2, behavior=NO_GATE)
        assert_that(result.replicas, equal_to(2), f"{model.name}: at the target the baseline must not add pods")


def test_a_ratio_between_one_and_two_uses_the_baseline():
    ann = {**CALM, "scaler.bud.studio/max-scale-up-rate": "10"}
    for model in (CONTRACT, PER_TICK):
        # baseline 4 + 0.5 x 4 = 6: 6 x 1.5 = 9
        result = scaled(4, 105, model, annotations=ann, ready=4, starting=4, behavior=NO_GATE)
        assert_that(result.replicas, equal_to(9), f"{model.name}: 1.5 x the baseline 6, not x current 4")


# -- tolerance at one replica ------------------------------------------------------------
def test_one_replica_inside_the_tolerance_stays():
    result = scaled(1, 73.5, CONTRACT)    # 1.05 pods: inside 10 %
    assert_that(result.replicas, equal_to(1), "1 replica at 5 % over target stays at 1")


# -- rate caps need the model (rates below or above 1, the as-built reversal) --------------
def test_a_scale_up_rate_below_one_is_read_as_its_inverse():
    ann = {**CALM, "scaler.bud.studio/max-scale-up-rate": "0.5"}
    assert_that(scaled(1, 700, CONTRACT, annotations=ann).replicas, equal_to(2),
                "rate 0.5 means x2 in the contract: 1 -> 2")
    assert_that(scaled(2, 700, AS_BUILT, annotations=ann).replicas, equal_to(1),
                "as built rate 0.5 multiplies: ceil(2 x 0.5) = 1 caps even a scale-up")


def test_a_scale_down_rate_above_one_is_read_as_its_inverse():
    ann = {"scaler.bud.studio/max-scale-down-rate": "2"}
    assert_that(scaled(8, 7, CONTRACT, annotations=ann).replicas, equal_to(4),
                "rate 2 means /2 in the contract: 8 -> 4")
    assert_that(scaled(8, 7, AS_BUILT, annotations=ann).replicas, equal_to(10),
                "as built rate 2 multiplies: floor(8 x 2) = 16, clamped to max 10")


def test_with_reversed_rates_a_steady_count_is_still_capped():
    # the as-built reversal turns a cap into a change even when nothing else wants one
    up = scaled(4, 70, REVERSED, annotations={"scaler.bud.studio/max-scale-up-rate": "0.5"})
    assert_that(up.replicas, equal_to(4), "inside the band the up rate is not applied (it would give 2)")
    down = scaled(4, 70, REVERSED, annotations={"scaler.bud.studio/max-scale-down-rate": "2"})
    assert_that(down.replicas, equal_to(4), "inside the band the down rate is not applied (it would give 8)")


def test_as_built_a_desired_count_equal_to_current_is_not_rate_capped():
    # 66.5/70 = 0.95 x 4 = 3.8 -> 4: outside the as-built 0.1 % band but no change
    up = scaled(4, 66.5, AS_BUILT, annotations={**CALM, "scaler.bud.studio/max-scale-up-rate": "0.5"})
    assert_that(up.replicas, equal_to(4), "as built, 4 wanted at 4: the (reversed) up rate gives 2, unused")
    down = scaled(4, 66.5, AS_BUILT, annotations={**CALM, "scaler.bud.studio/max-scale-down-rate": "2"})
    assert_that(down.replicas, equal_to(4), "as built, 4 wanted at 4: the (reversed) down rate gives 8, unused")


def test_as_built_a_calm_scale_down_is_floored():
    result = scaled(8, 7, AS_BUILT, annotations=CALM)    # 0.1 x 8 -> 1, floored at floor(8 x 0.5) = 4
    assert_that(result, has_properties(replicas=4, in_panic_mode=False),
                "as built, a calm scale-down stops at the rate floor")


def test_as_built_panic_starts_at_exactly_the_threshold():
    result = scaled(8, 2, AS_BUILT, sources=[load("100")])    # 2/100 = 0.02 = 2.0 / 100
    assert_that(result.in_panic_mode, equal_to(True), "as built, value/target equal to the threshold is panic")


# -- policies and the gate, with and without panic ------------------------------------------
def test_a_calm_scale_up_obeys_the_policies():
    spec = {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    ann = {**CALM, "scaler.bud.studio/max-scale-up-rate": "10"}
    for model in (CONTRACT, AS_BUILT):
        assert_that(scaled(1, 350, model, behavior=spec, annotations=ann).replicas, equal_to(2),
                    f"{model.name}: 5 pods wanted, the policy allows +1")


def test_as_built_panic_skips_the_scale_up_policies():
    spec = {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    result = scaled(1, 700, AS_BUILT, behavior=spec)
    assert_that(result, has_properties(replicas=10, in_panic_mode=True),
                "as built, a panic scale-up is not limited by the +1 policy")


def test_as_built_a_scale_down_obeys_the_policies():
    spec = {"scaleDown": {"stabilizationWindowSeconds": 0,
                          "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    assert_that(scaled(8, 7, AS_BUILT, behavior=spec, annotations=CALM).replicas, equal_to(7),
                "as built, the -1 policy holds 8 -> 4 at 7")


def test_policy_periods_count_the_recorded_scale_events():
    # a scale-down 30 s ago (9 -> 8) used the policy's one pod for this 60 s period
    spec = {"scaleDown": {"stabilizationWindowSeconds": 0,
                          "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    events = ScaleEvents()
    events.record(NOW - 30, 9, 8)
    result = scaled(8, 7, CONTRACT, behavior=spec, scale_events=events)
    assert_that(result.replicas, equal_to(8), "the period started at 9: 8 is already one pod down")
    later = scaled(8, 7, CONTRACT, behavior=spec, scale_events=events, now=NOW + 31)
    assert_that(later.replicas, equal_to(7), "61 s after that change a new period allows 8 -> 7")


def test_as_built_bypass_on_panic_lets_a_panic_scale_up_past_the_gate():
    spec = make_spec(behavior={**NO_DOWN_WINDOW, "scaleUp": {"startingPods": {
        "maxStartingPods": 1, "bypassGateOnPanic": True}}})
    result = kpa(request(700, 2, ready=1, starting=1, spec=spec), AS_BUILT)
    assert_that(result, has_properties(in_panic_mode=True, replicas=equal_to(10)),
                "as built, panic bypasses the starting-pods gate when bypassGateOnPanic is set")


# -- the contract's panic hold -------------------------------------------------------------
def run(values, current=1, model=CONTRACT, annotations=None, currents=None):
    windows, window, results = KpaWindows(), RecommendationWindow(), []
    for i, value in enumerate(values):
        now_current = currents[i] if currents else current
        req = request(value, now_current, spec=make_spec(max_replicas=50, behavior=NO_DOWN_WINDOW),
                      annotations=annotations, now=NOW + 10 * i)
        results.append(recommend(req, model, window, windows))
    return results


def test_in_panic_the_panic_window_counts_when_it_is_higher_than_the_stable_one():
    # 12 ticks at 1 pod, then 10 pods: stable mean 22/13 -> 2, panic mean 15/6 = 2.5 -> 3 (>= 2 x 1: panic)
    last = run([70] * 12 + [700])[-1]
    assert_that(last, has_properties(replicas=3, in_panic_mode=True),
                "in panic the larger panic desire (3) wins over the stable one (2)")


def test_in_panic_the_earlier_panic_recommendation_holds():
    first, second = run([700, 70])        # 10 pods, then 1 pod: panic mean 5.5 -> 6
    assert_that(first.replicas, equal_to(10), "the burst asks 10")
    assert_that(second, has_properties(replicas=10, in_panic_mode=True),
                "still in panic, the earlier 10 holds though the windows now ask 6")


def test_in_panic_the_current_count_holds_when_it_grew_past_the_held_recommendation():
    # the burst asks 10, then someone scaled to 20; the windows ask (10 + 2) / 2 = 6: no scale-down in panic
    results = run([700, 7], currents=[1, 20])
    assert_that(results[1], has_properties(replicas=20, in_panic_mode=True),
                "in panic the recommendation never drops below the current 20")


def test_only_the_tick_that_enters_panic_says_so():
    first, second = run([700, 700], currents=[1, 1])
    assert_that(first.reason, contains_string("(entered panic mode)"), "the first panic tick says it entered")
    assert_that(second.reason, equal_to("Scaling up from 1 to 10 replicas based on load metric "
                                        "(current: 700.00, target: 70.00) [PANIC MODE]"),
                "the second panic tick says it is in panic, no more")


def test_a_calm_tick_has_no_panic_words():
    result = scaled(1, 70, CONTRACT)
    assert_that(result.reason, equal_to("No scaling needed. Current replicas 1 is optimal for load metric "
                                        "(current: 70.00, target: 70.00)"), "a calm tick's reason ends there")


# -- never-scales-to-zero, with the windows and per tick ---------------------------------------
def test_with_never_scales_to_zero_the_windows_keep_one_pod_at_zero_load():
    model = model_named("as-built", ["never-scales-to-zero"])
    ann = {"scaler.bud.studio/max-scale-down-rate": "10"}    # floor(1 / 10) = 0: the rate does not hold one
    assert_that(scaled(1, 0, model, annotations=ann, min_replicas=0).replicas, equal_to(1),
                "never-scales-to-zero keeps 1 pod when the load is 0")
    assert_that(scaled(1, 0, CONTRACT, annotations=ann, min_replicas=0).replicas, equal_to(0),
                "the contract scales an idle scaler with minReplicas 0 to zero")


def test_per_tick_scales_to_zero_at_zero_load_unless_it_never_does():
    for target in ("70", "0.5"):
        result = scaled(1, 0, PER_TICK, sources=[load(target)], min_replicas=0)
        assert_that(result.replicas, equal_to(0), f"per tick, target {target}: zero load at 1 replica -> 0")
    never = scaled(1, 0, AS_BUILT, min_replicas=0)
    assert_that(never.replicas, equal_to(1), "as built (never-scales-to-zero) the scaler keeps 1")


def test_as_built_zero_load_floored_at_zero_by_the_rate_still_keeps_one():
    ann = {**CALM, "scaler.bud.studio/max-scale-down-rate": "0.01"}    # as built floor(5 x 0.01) = 0
    result = scaled(5, 0, AS_BUILT, annotations=ann, min_replicas=0)
    assert_that(result.replicas, equal_to(1), "as built, zero load keeps one pod, not current 5 and not 0")


def test_per_tick_without_any_reading_keeps_current():
    result = scaled(2, None, PER_TICK, min_replicas=0)
    assert_that(result.replicas, equal_to(2), "no reading at all is no reason to scale to zero")


def test_as_built_a_single_pod_wanted_is_one_not_current():
    result = scaled(2, 30, AS_BUILT)      # 2 x 0.43 -> 1, floor(2 x 0.5) = 1
    assert_that(result, has_properties(replicas=1, unstabilized=1),
                "as built, 1 wanted (before and after stabilization), not current 2")


# -- the windows' memory ---------------------------------------------------------------------
def test_the_memory_drops_a_sample_exactly_as_old_as_it_keeps():
    windows = KpaWindows()
    windows.record("load", 0.0, 1.0, keep_seconds=10)
    windows.record("load", 10.0, 3.0, keep_seconds=10)
    assert_that(windows.loads["load"], equal_to([(10.0, 3.0)]), "a sample 10 s old is dropped at keep 10 s")



def test_per_tick_a_load_at_zero_replicas_wants_a_pod():
    result = scaled(0, 0.5, PER_TICK, min_replicas=0)
    assert_that(result.replicas, equal_to(1), "per tick, any load above 0 at 0 replicas asks for one pod")
