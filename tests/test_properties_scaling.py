"""Properties of the reference model's scaling decisions, for any spec, load and history (hypothesis).

- within bounds: under the contract, every strategy's decision lies in [minReplicas, maxReplicas]
  whatever the spec was before, the replicas running, the windows' history and the last scale;
- monotone in load: more load never asks for fewer replicas, everything else equal.

CI runs the fixed 'ci' profile; `make properties` the long random one.
"""

from __future__ import annotations

import copy

from hypothesis import given, note
from hypothesis import strategies as st

from support.reference import budscaler, kpa
from support.reference.budscaler import PredictionData, ScaleRequest
from support.reference.metrics import snapshot
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.scaling_context import ScalingContext
from support.reference.spec import ScalerSpec
from support.reference.stabilization import RecommendationWindow

NOW = 1_767_607_200.0  # Monday 2026-01-05 10:00 UTC
STRATEGIES = {"BudScaler": budscaler.recommend, "KPA": kpa.recommend}

windows_seconds = st.sampled_from([0, 5, 10, 30, 60, 300])
policies = st.lists(st.fixed_dictionaries({"type": st.sampled_from(["Pods", "Percent"]),
                                           "value": st.integers(0, 200), "periodSeconds": st.just(60)}),
                    max_size=2)


@st.composite
def behaviors(draw) -> dict:
    def rules(direction: str) -> dict:
        chosen = {"stabilizationWindowSeconds": draw(windows_seconds)}
        if draw(st.booleans()):
            chosen["policies"] = draw(policies)
            chosen["selectPolicy"] = draw(st.sampled_from(["Max", "Min", "Disabled"]))
        if draw(st.booleans()):  # a rate on the wrong side of 1 turns the direction round (§7.6): not here
            rates = ["1.5", "2", "3"] if direction == "scaleUp" else ["0.75", "0.5", "0.25"]
            chosen["maxScaleRate"] = draw(st.sampled_from(rates))
        if direction == "scaleUp" and draw(st.booleans()):
            chosen["tolerance"] = draw(st.sampled_from(["0.05", "0.1", "0.2"]))
            chosen["startingPods"] = {"maxStartingPods": draw(st.integers(0, 3)),
                                      "maxStartingPodPercent": draw(st.sampled_from([0, 30, 50])),
                                      "bypassGateOnPanic": draw(st.booleans())}
        return chosen
    return {"scaleUp": rules("scaleUp"), "scaleDown": rules("scaleDown")}


@st.composite
def bounds(draw) -> tuple[int, int]:
    low = draw(st.integers(1, 8))
    return low, draw(st.integers(low, 12))


@st.composite
def specs(draw, strategy: str | None = None) -> ScalerSpec:
    low, high = draw(bounds())
    return ScalerSpec.from_object({"spec": {
        "scaleTargetRef": {"kind": "Deployment", "name": "llm"}, "minReplicas": low, "maxReplicas": high,
        "scalingStrategy": strategy or draw(st.sampled_from(sorted(STRATEGIES))),
        "metricsSources": [{"metricSourceType": "pod", "targetMetric": "load", "targetValue": "70"}],
        "behavior": draw(behaviors()),
        "predictionConfig": {"enabled": draw(st.booleans())}}})


@st.composite
def histories(draw) -> list[tuple[float, int]]:
    """Recommendations of earlier ticks (possibly under other bounds): (seconds ago, replicas)."""
    return draw(st.lists(st.tuples(st.integers(1, 400), st.integers(1, 15)), max_size=8))


predictions = st.none() | st.builds(
    PredictionData, predicted_replicas=st.integers(0, 15), confidence=st.floats(0, 1), reason=st.just("p"),
    source=st.just("predictor"), is_schedule_hint=st.booleans(), hint_name=st.just("hint"),
    hint_target=st.integers(0, 15))


def _window(history: list[tuple[float, int]]) -> RecommendationWindow:
    window = RecommendationWindow()
    for age, replicas in sorted(history, key=lambda entry: -entry[0]):
        window.record(NOW - age, replicas)
    return window


def _request(spec: ScalerSpec, load: float, current: int, ready: int, starting: int,
             last_scale_ago: int | None, prediction: PredictionData | None) -> ScaleRequest:
    return ScaleRequest(spec, ScalingContext.build(spec, spec.annotations), current, ready, starting,
                        {"load": snapshot([load])}, NOW, None if last_scale_ago is None else NOW - last_scale_ago,
                        prediction=prediction)


loads = st.floats(0, 400, allow_nan=False)
replica_counts = st.integers(0, 15)


@given(spec=specs(), load=loads, current=st.integers(1, 15), ready=replica_counts, starting=st.integers(0, 5),
       history=histories(), last_scale_ago=st.none() | st.integers(0, 400), prediction=predictions)
def test_the_contract_stays_within_the_bounds_whatever_came_before(spec, load, current, ready, starting,
                                                                   history, last_scale_ago, prediction):
    request = _request(spec, load, current, ready, starting, last_scale_ago, prediction)
    decided = STRATEGIES[spec.scaling_strategy](request, CONTRACT, _window(history))
    note(f"{spec.scaling_strategy} {spec.min_replicas}..{spec.max_replicas}: {decided.reason}")
    assert spec.min_replicas <= decided.replicas <= spec.max_replicas


@given(spec=specs("BudScaler"), current=st.integers(4, 10))
def test_as_built_a_lowered_maximum_can_wait_for_the_cooldown(spec, current):
    """The contract property above is not vacuous: the as-built order breaks it right after a scale."""
    lowered = ScalerSpec.from_object({"spec": {
        "scaleTargetRef": {"kind": "Deployment", "name": "llm"}, "minReplicas": 1, "maxReplicas": current - 1,
        "metricsSources": [{"metricSourceType": "pod", "targetMetric": "load", "targetValue": "70"}],
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}})
    request = _request(lowered, 95.0, current, current, 0, 5, None)
    assert budscaler.recommend(request, AS_BUILT, _window([(5, current)])).replicas == current


@given(spec=specs(), low=loads, high=loads, current=st.integers(1, 15), ready=replica_counts,
       starting=st.integers(0, 5), history=histories(), last_scale_ago=st.none() | st.integers(0, 400),
       prediction=predictions, as_built=st.booleans())
def test_more_load_never_asks_for_fewer_replicas(spec, low, high, current, ready, starting, history,
                                                  last_scale_ago, prediction, as_built):
    low, high = sorted((low, high))
    model = AS_BUILT if as_built else CONTRACT
    decide = STRATEGIES[spec.scaling_strategy]
    window = _window(history)
    at_low = decide(_request(spec, low, current, ready, starting, last_scale_ago, prediction), model,
                    copy.deepcopy(window))
    at_high = decide(_request(spec, high, current, ready, starting, last_scale_ago, prediction), model,
                     copy.deepcopy(window))
    note(f"{low:.3f} -> {at_low.reason}; {high:.3f} -> {at_high.reason}")
    assert at_low.replicas <= at_high.replicas
