"""Scaling controls worked by hand: policies over their periods, selectPolicy, maxScaleRate, windows in time."""
from hypothesis import given, settings, strategies as st

from support.reference.budscaler import recommend
from support.reference.model import AS_BUILT, CONTRACT, Model
from support.reference.policies import ScaleEvents, apply_policies, down_rate_floor, up_rate_ceiling
from support.reference.scaling_context import ScalingContext
from support.reference.stabilization import RecommendationWindow
from test_reference_budscaler import NOW, make_spec, request

PERIOD_IGNORED = Model("period-ignored", frozenset({"policy-period-ignored"}))


def context(up=None, down=None, min_replicas=1, max_replicas=20, annotations=None):
    behavior = {}
    if up is not None:
        behavior["scaleUp"] = up
    if down is not None:
        behavior["scaleDown"] = down
    spec = make_spec(min_replicas=min_replicas, max_replicas=max_replicas, behavior=behavior or None)
    return ScalingContext.build(spec, annotations or {})


def pods(value, period=60):
    return {"type": "Pods", "value": value, "periodSeconds": period}


def percent(value, period=60):
    return {"type": "Percent", "value": value, "periodSeconds": period}


def events(*changes):
    """ScaleEvents from (seconds before NOW, previous, new) triples."""
    memory = ScaleEvents()
    for ago, previous, new in changes:
        memory.record(NOW - ago, previous, new)
    return memory


# -- periods -------------------------------------------------------------------------
def test_pods_policy_counts_the_replicas_already_added_in_its_period():
    ctx = context(up={"policies": [pods(2)]})
    added = events((30, 2, 4))       # 30 s ago: 2 -> 4, the period's 2 pods are spent
    assert apply_policies(ctx, 4, 10, CONTRACT, added, NOW) == 4
    assert apply_policies(ctx, 4, 10, CONTRACT, added, NOW + 30) == 6     # 60 s later: a new period
    assert apply_policies(ctx, 4, 10, PERIOD_IGNORED, added, NOW) == 6    # per tick: 4 + 2
    assert apply_policies(ctx, 4, 10, CONTRACT, None, NOW) == 6           # no memory: per tick


def test_percent_policy_is_a_share_of_the_replicas_at_the_period_start():
    ctx = context(up={"policies": [percent(50)]})
    # 10 s ago 4 -> 6; period start 4: trunc(4 x .5) = 2 -> 6, nothing left; per tick 6 + 3 = 9
    added = events((10, 4, 6))
    assert apply_policies(ctx, 6, 12, CONTRACT, added, NOW) == 6
    assert apply_policies(ctx, 6, 12, AS_BUILT, added, NOW) == 9


def test_a_scale_down_in_the_period_gives_room_to_scale_up_again():
    ctx = context(up={"policies": [pods(2)]})
    # 20 s ago 6 -> 3; period start 3 + 3 = 6 -> up to 8 (HPA counts net change)
    assert apply_policies(ctx, 3, 10, CONTRACT, events((20, 6, 3)), NOW) == 8


def test_each_policy_has_its_own_period():
    ctx = context(up={"policies": [pods(1, 15), pods(4, 120)]})
    memory = events((100, 2, 5))     # outside the 15 s period, inside the 120 s one
    # Pods 1/15 s: start 5 -> 6; Pods 4/120 s: start 2 -> 6; Max -> 6
    assert apply_policies(ctx, 5, 10, CONTRACT, memory, NOW) == 6


def test_scale_down_policies_over_their_period():
    ctx = context(down={"policies": [pods(1), percent(20)]})        # default select Min
    # no history, at 10: Pods -> 9, Percent trunc(2) -> 8; Min (smallest change) keeps 9
    assert apply_policies(ctx, 10, 2, CONTRACT, ScaleEvents(), NOW) == 9
    # 20 s ago 11 -> 10: start 11; Pods -> 10, Percent trunc(2.2) = 2 -> 9; Min -> 10: wait
    assert apply_policies(ctx, 10, 2, CONTRACT, events((20, 11, 10)), NOW) == 10
    assert apply_policies(ctx, 10, 2, AS_BUILT, events((20, 11, 10)), NOW) == 9


# -- selectPolicy --------------------------------------------------------------------
def test_select_max_min_and_disabled():
    two = [pods(1), pods(3)]
    assert apply_policies(context(up={"policies": two}), 4, 10, CONTRACT) == 7
    assert apply_policies(context(up={"policies": two, "selectPolicy": "Min"}), 4, 10, CONTRACT) == 5
    assert apply_policies(context(up={"policies": two, "selectPolicy": "Disabled"}), 4, 10, CONTRACT) == 4
    down = context(down={"policies": two, "selectPolicy": "Max"})
    assert apply_policies(down, 8, 1, CONTRACT) == 5


def test_disabled_without_policies():
    ctx = context(up={"selectPolicy": "Disabled"}, down={"selectPolicy": "Disabled"})
    assert apply_policies(ctx, 4, 8, CONTRACT) == 4
    assert apply_policies(ctx, 4, 2, CONTRACT) == 4
    assert apply_policies(ctx, 4, 8, AS_BUILT) == 8      # §7.7: no policy, no effect
    assert apply_policies(ctx, 4, 2, AS_BUILT) == 2


def test_policies_never_reverse_the_direction_nor_go_below_zero():
    ctx = context(down={"policies": [pods(10)]}, min_replicas=0)
    assert apply_policies(ctx, 2, 0, CONTRACT) == 0
    assert apply_policies(ctx, 2, 0, AS_BUILT) == 1      # §7.7: the scale-down floor is 1
    up = context(up={"policies": [pods(2)]})
    # 10 s ago 2 -> 6 (a raise to min, say): start 2 + 2 = 4 < current: hold 6, never lower
    assert apply_policies(up, 6, 9, CONTRACT, events((10, 2, 6)), NOW) == 6


# -- maxScaleRate ------------------------------------------------------------------------
def test_down_rate_above_one_divides():
    assert down_rate_floor(8, 2.0, CONTRACT) == 4
    assert down_rate_floor(8, 2.0, AS_BUILT) == 16       # §7.6
    assert down_rate_floor(8, 0.5, CONTRACT) == down_rate_floor(8, 0.5, AS_BUILT) == 4
    assert down_rate_floor(8, 0, CONTRACT) == 4          # unset: default 0.5
    assert down_rate_floor(9, 3.0, CONTRACT) == 3


def test_up_rate_below_one_divides():
    assert up_rate_ceiling(3, 0.5, CONTRACT) == 6             # may double, as 2.0 does
    assert up_rate_ceiling(3, 0.5, AS_BUILT) == 2             # ceil(1.5): a "scale-up" to fewer
    assert up_rate_ceiling(3, 1.5, CONTRACT) == up_rate_ceiling(3, 1.5, AS_BUILT) == 5
    assert up_rate_ceiling(3, 0, CONTRACT) == 6               # unset: default 2.0


def test_budscaler_scale_up_rate_below_one():
    # 700/70 @4: x = 4 x 8.2 = 32.8 -> 33; rate 0.5 may double -> 8 (max 10); as built ceil(2) = 2: down
    ann = {"scaler.bud.studio/max-scale-up-rate": "0.5"}
    assert recommend(request(700, 4, annotations=ann), CONTRACT, RecommendationWindow()).replicas == 8
    assert recommend(request(700, 4, annotations=ann), AS_BUILT, RecommendationWindow()).replicas == 2


def test_budscaler_scale_down_rate_annotation():
    spec = make_spec(behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    ann = {"scaler.bud.studio/max-scale-down-rate": "2"}
    # 7/70 @8: x = 8 x .55 = 4.4 -> 4; may halve -> 4. As built floor(16) turns it into 10 (max)
    assert recommend(request(7, 8, spec=spec, annotations=ann), CONTRACT, RecommendationWindow()).replicas == 4
    assert recommend(request(7, 8, spec=spec, annotations=ann), AS_BUILT, RecommendationWindow()).replicas == 10


def test_budscaler_scale_up_rate_annotation_and_spec():
    # 700/70 @1: 9 wanted; rate 3 -> ceil(3) = 3; spec rate "4" loses to the annotation
    spec = make_spec(behavior={"scaleUp": {"maxScaleRate": "4"}})
    ann = {"scaler.bud.studio/max-scale-up-rate": "3"}
    assert recommend(request(700, 1, spec=spec, annotations=ann), CONTRACT, RecommendationWindow()).replicas == 3
    assert recommend(request(700, 1, spec=spec), CONTRACT, RecommendationWindow()).replicas == 4


def test_scale_down_tolerance_annotation():
    spec = make_spec(behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    ann = {"scaler.bud.studio/scale-down-tolerance": "0.5"}
    # 42/70 = 0.6: inside a 50 % down band -> 3; as built the up band (0.1 %) applies: round(2.4) = 2
    assert recommend(request(42, 3, spec=spec, annotations=ann), CONTRACT, RecommendationWindow()).replicas == 3
    assert recommend(request(42, 3, spec=spec, annotations=ann), AS_BUILT, RecommendationWindow()).replicas == 2


# -- through BudScaler, in time ---------------------------------------------------------
def test_budscaler_honours_the_period_with_the_controllers_events():
    spec = make_spec(behavior={"scaleUp": {"policies": [pods(1, 60)]}})
    memory, current, seen = ScaleEvents(), 2, []
    for tick in range(8):                        # 200/70 keeps wanting more
        now = NOW + 10 * tick
        result = recommend(request(200, current, spec=spec, now=now, scale_events=memory),
                           CONTRACT, RecommendationWindow())
        memory.record(now, current, result.replicas)
        current = result.replicas
        seen.append(current)
    # one pod per 60 s: +1 at 0 s, the next at 60 s (the event at 0 s is then out of the period)
    assert seen == [3, 3, 3, 3, 3, 3, 4, 4]


def test_scale_up_window_in_time():
    # HPA-style: up only to the lowest recommendation of the last 30 s
    spec = make_spec(behavior={"scaleUp": {"stabilizationWindowSeconds": 30}})
    window, replicas = RecommendationWindow(), []
    for tick, value in enumerate([70, 100, 100, 100, 100]):
        replicas.append(recommend(request(value, 2, spec=spec, now=NOW + 10 * tick),
                                  CONTRACT, window).replicas)
    # 2 recorded at 0 s stays in the window until 30 s: 3 from the tick at 30 s
    assert replicas == [2, 2, 2, 3, 3]


def test_scale_up_window_from_the_annotation():
    ann = {"scaler.bud.studio/scale-up-cooldown": "20s"}
    window = RecommendationWindow()
    results = [recommend(request(v, 2, annotations=ann, now=NOW + 10 * i), CONTRACT, window).replicas
               for i, v in enumerate([70, 100, 100])]
    assert results == [2, 2, 3]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([0, 20, 70, 140, 400, 1000]), min_size=2, max_size=30),
       st.integers(min_value=1, max_value=4), st.sampled_from([30, 60, 90]))
def test_each_scale_event_stays_within_the_pods_policy_of_its_period(loads, value, period):
    spec = make_spec(max_replicas=40, behavior={
        "scaleUp": {"policies": [pods(value, period)]},
        "scaleDown": {"policies": [pods(value, period)], "stabilizationWindowSeconds": 0}})
    memory, current, changes = ScaleEvents(), 3, []
    for tick, load in enumerate(loads):
        now = NOW + 10 * tick
        result = recommend(request(load, current, spec=spec, now=now, scale_events=memory),
                           CONTRACT, RecommendationWindow())
        memory.record(now, current, result.replicas)
        changes.append((now, result.replicas - current))
        current = result.replicas
        # a scale event may move the count at most `value` away from where the period started
        recent = sum(c for t, c in changes if t > now - period)
        if changes[-1][1] > 0:
            assert recent <= value, (changes, now)
        if changes[-1][1] < 0:
            assert recent >= -value, (changes, now)


# -- minReplicas 0 (§4.2 "Zero replicas", §7.11) --------------------------------------------
def test_budscaler_zero_load_with_min_zero():
    spec = make_spec(min_replicas=0, behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    # every metric reads 0 and the minimum is 0: the contract recommends 0; as built 0 counts as no metric
    assert recommend(request(0, 2, spec=spec), CONTRACT, RecommendationWindow()).replicas == 0
    assert recommend(request(0, 2, spec=spec), AS_BUILT, RecommendationWindow()).replicas == 2
    # no reading at all keeps the replicas in both
    assert recommend(request(None, 2, spec=spec), CONTRACT, RecommendationWindow()).replicas == 2


def test_budscaler_from_zero_on_an_endpoint_reading():
    # at 0 replicas only an endpoint source (external/prometheus) can be read; 140/70 from the
    # baseline of 1 pod: x = 1 x (1 + .8 x 1) = 1.8 -> 2, capped at ceil(1 x 2) = 2
    spec = make_spec(min_replicas=0)
    assert recommend(request(140, 0, ready=0, spec=spec), CONTRACT, RecommendationWindow()).replicas == 2
    assert recommend(request(35, 0, ready=0, spec=spec), CONTRACT, RecommendationWindow()).replicas == 1
