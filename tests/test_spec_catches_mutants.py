"""The spec fails when the model misbehaves: each deliberately broken operator is caught.

For each mutant of tests/mutants/catalog.py, behave runs only the scenarios it
needs on the embedded cluster: those guarding the broken promise, which must
fail on an assertion (a failed Then, not an error), and one unrelated scenario
that must still pass (the mutant breaks one promise, not the run). behave's exit
code must say the run failed. A control run of the unbroken operator passes
every guard. Outline rows are keyed by their example values, not positions.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from behave_runs import Run, run_behave, scenario_lines, spec_scenarios

SCALER_READY = "The scaler becomes Ready"
SCALE_UP = "Scale-up when GPU cache usage rises above the target [usage=85%]"
EXTREME_MAX_5 = ("Replicas stay within the bounds under extreme load "
                 "[load=extreme, min=1, max=5, before=30%, start=1, usage=100%, settled=5]")
LIGHT_MIN_2 = ("Replicas stay within the bounds under light load "
               "[load=light, min=2, max=5, before=100%, start=3, usage=10%, settled=2]")
ZERO_MIN_1 = ("Replicas stay within the bounds under zero load "
              "[load=zero, min=1, max=5, before=100%, start=3, usage=0%, settled=1]")
SCALE_DOWN = "Scale-down when the load falls [busy=85%, quiet=20%]"
MIN_ABOVE_MAX = "A scaler whose minimum exceeds its maximum says why it is not Ready [min=6, max=5]"
TOLERANCE = "Load within the tolerance band leaves the replicas alone [inside={}, outside={}]"
DAILY = ("The learned daily profile follows the traffic ({quiet} / {busy}) [quiet={quiet}, busy={busy}, "
         "first end={ends[0]}, busy end={ends[1]}, last end={ends[2]}, first hour={hours[0]}, busy hour={hours[1]}, "
         "last hour={hours[2]}]")
MONDAY = dict(ends=("11:00", "12:00", "13:00"), hours=("Monday 10:00", "Monday 11:00", "Monday 12:00"))
MIDNIGHT = dict(ends=("00:00", "01:00", "02:00"), hours=("Sunday 23:00", "Monday 00:00", "Monday 01:00"))
DAILY_PROFILES = {DAILY.format(quiet="30%", busy="60%", **MONDAY), DAILY.format(quiet="20%", busy="60%", **MONDAY),
                  DAILY.format(quiet="60%", busy="65%", **MIDNIGHT), DAILY.format(quiet="5%", busy="95%", **MIDNIGHT)}
QUICK = "Accuracy over a short traffic trace [length=short, phase=3 minutes, tail=6 minutes]"
FULL = "Accuracy over a long traffic trace [length=long, phase=6 minutes, tail=10 minutes]"
DATA_POINT = "A data point is collected every reconcile"
SAVED = "Learning data is saved in a ConfigMap"
LOWERED_MAX = ("A lowered maximum applies at once, whatever the stabilization windows "
               "[changed=lowered maximum, usage=95%, reached=5, min=1, max=3]")
RAISED_MIN = ("A raised minimum applies at once, whatever the stabilization windows "
              "[changed=raised minimum, usage=85%, reached=2, min=4, max=5]")
NO_DATA = "No scaling on no data when the metrics of every pod {0} [fault={0}]"
SAYS_NO_METRICS = "The scaler says when it cannot read its metrics, and when it can again [fault={}, explanation={}]"
NO_METRICS = (("fail", "failed to collect metrics from any pod"),
              ("answer garbage", "metric vllm:gpu_cache_usage_perc not found"))
BAD_TARGET = ("A target that {0} makes the scaler not Ready until it is put right "
              "[problem={0}, kind={1}, name={2}, failure={3}]")
BAD_TARGETS = (("does not exist", "Deployment", "no-such-model",
                'failed to get deployment: deployments.apps "no-such-model" not found'),
               ("is of a kind it cannot scale", "DaemonSet", "llm-inference-sim",
                "generic scale not implemented for DaemonSet/llm-inference-sim"))
NEWER_CONFLICT = "Of two scalers on one deployment the newer reports the conflict"
HISTORY = "The scaling history keeps the last ten scales, oldest first"
SCALER_GOES = "A deleted scaler goes, and the workload keeps its replicas"
KPA_BURST = "A burst scales up at once, past the scale-up policy"
KPA_SPIKE = "A short spike is averaged away by the stable window"
KPA_PANIC = "Panic mode is entered on a burst and left a stable window later, and KPA says so"
KPA_CALM = "A moderate rise scales up calmly, not in panic"
SOURCE = "GPU cache usage read as {0} source in {1} [kind={0}, format={1}]"
RESOURCE_SOURCE = "CPU read from the cluster's resource metrics as a resource source"
MEMORY_SOURCE = "Memory read from the cluster's resource metrics as a resource source"
CUSTOM_SOURCE = "Requests waiting read from the cluster's custom metrics as a custom source"
EXTERNAL_SOURCE = "Requests waiting in total read from the cluster's external metrics by the scaler's HorizontalPodAutoscaler"
PROMETHEUS_SOURCE = "The answer to a Prometheus query read as a prometheus source"
SEVERAL_SOURCES = "With several sources the most demanding one decides"
FIRST_DOWN = "The first scale-down follows selectPolicy {0} [select={0}, to={1}]"
PERIOD = "A scale-down policy limits the change over its whole period"
DISABLED = "A disabled scale-down keeps the replicas when the load falls"
DISABLED_BARE = "A scale-down disabled without policies keeps the replicas too"
UP_RATE = "A scale-up rate of 1.2 lets each scale-up add at most a fifth of the replicas"
RATE = "An annotation's scale-down rate of 2 lets the replicas fall by half at most"
UP_RATE_HALF = "An annotation's scale-up rate of 0.5 lets the replicas at most double at a time"
HPA_OWNED = "An HPA scaler hands its workload to a HorizontalPodAutoscaler it owns, and takes it away"
HPA_SCALES = "The HorizontalPodAutoscaler scales the workload on CPU, and the scaler reports what it decided"
HPA_DOWN_WINDOW = "The HorizontalPodAutoscaler holds the replicas through its scale-down window, then scales down"
HPA_TOLERANCE = "The HorizontalPodAutoscaler leaves CPU within its tolerance alone"
BURST = "One burst, three strategies: {0} {1} [strategy={0}, reaction={1}, least={2}, most={3}]"
KPA_IN_A_BURST = BURST.format("KPA", "panics and scales up at once", 4, 10)
HPA_IN_A_BURST = BURST.format("HPA", "adds one pod a minute, its policy", 2, 2)
BUDSCALER_IN_A_BURST = BURST.format("BudScaler", "adds one pod a minute, its policy", 2, 2)
HPA_SWITCH = "A scaler that leaves the HPA strategy takes its HorizontalPodAutoscaler away"
CONFIDENT = "A confident prediction adds replicas before the load reaches the target"
SLOW_RISE = "A prediction looking 15 minutes ahead does not act on a slow rise"
UNPRICED = "A budget that cannot be priced is said to be not applied"
QUEUING = "Requests queuing up add replicas, which go once the clients stop"
ONE_POD_LOAD = "Clients one pod serves at full pace add no replica"
GATE = "A scale-up waits while half of the pods are still starting, and goes on once they are ready"
KPA_GATE = ("In panic, KPA {0} the pods still starting [passes or waits for={0}, bypass={1}, then={2}]")
KPA_PASSES = KPA_GATE.format("passes", "the scaler lets a scale-up in panic pass the starting pods",
                             "rise above 2 within 30 seconds")
KPA_WAITS = KPA_GATE.format("waits for", "the scaler holds even a scale-up in panic while pods start",
                            "stay at 2 for 2 minutes")
UP_COOLDOWN = "An annotation's scale-up cooldown of 1 minute holds a scale-up that long"
DOWN_COOLDOWN = "An annotation's scale-down cooldown of 2 minutes holds a scale-down that long"
UP_TOLERANCE = "An annotation's scale-up tolerance of 0.3 leaves a load within 30% above the target alone"
DOWN_TOLERANCE = "An annotation's scale-down tolerance of 0.5 leaves a load within half the target alone"
STARTING_UNREAD = "What pods still starting report does not count"
NONE_READY = "With no pod ready the scaler keeps its replicas, says why, and carries on once they are"
NONE_RUNNING = "With no pod running the scaler keeps its replicas, says why, and carries on once they run"
ACTUAL_READY = "The actual replicas are the pods ready to serve, not those asked for nor those starting"
ROLLOUT_BAND = "A load inside the tolerance band stays put while a rollout starts a new pod"
STATEFULSET = "A StatefulSet is scaled as a deployment is"


@dataclass(frozen=True)
class Catch:
    feature: str
    guards: frozenset[str]  # must fail, on an assertion
    unaffected: str         # must still pass


def catch(feature: str, guards: set[str], unaffected: str) -> Catch:
    return Catch(feature, frozenset(guards), unaffected)


CAUGHT_BY = {
    "ignore-max-replicas": catch("scaling", {EXTREME_MAX_5}, SCALER_READY),
    "ignore-min-replicas": catch("scaling", {LIGHT_MIN_2}, SCALER_READY),
    "skip-scale-down-window": catch("scaling", {"No scale-down before the scale-down window has passed"}, SCALE_UP),
    "never-scale-up": catch("scaling", {SCALE_UP, TOLERANCE.format("64%", "78%")}, SCALER_READY),
    "never-scale-down": catch("scaling", {SCALE_DOWN, ZERO_MIN_1}, SCALER_READY),
    "never-write-target": catch("scaling", {"The deployment follows the desired replicas"}, SCALE_UP),
    "never-ready": catch("scaling", {SCALER_READY}, EXTREME_MAX_5),
    "no-validation": catch("scaling", {MIN_ABOVE_MAX}, SCALER_READY),
    "no-pattern-detection": catch("learning", {"KV cache pressure is detected",
                                               "A batch spike is detected as batch ingestion",
                                               "A cold start is detected", "A traffic spike is detected",
                                               "A traffic drain is detected"}, DATA_POINT),
    "pattern-confidence-of-steady-state": catch("learning", {"KV cache pressure is detected",
                                                             "A batch spike is detected as batch ingestion"},
                                                DATA_POINT),
    "no-data-points": catch("learning", {DATA_POINT, "Data points accrue across the hours of the day"},
                            "KV cache pressure is detected"),
    "never-persist": catch("learning", {*DAILY_PROFILES, SAVED, "Learning data survives a controller restart"},
                           DATA_POINT),
    "forget-on-restart": catch("learning", {"Learning data survives a controller restart"}, SAVED),
    "inverted-direction-accuracy": catch("learning", {"Prediction accuracy is tracked"}, DATA_POINT),
    "mape-over-predicted": catch("accuracy", {QUICK}, None),
    "no-prediction-status": catch("accuracy", {QUICK, FULL}, None),
    "prediction-without-confidence": catch("prediction", {"No predictive scale-up without enough history"},
                                           "Scheduled capacity is in place when the afternoon peak begins"),
    "hints-ignored": catch("prediction", {"Scheduled capacity is in place when the afternoon peak begins"},
                           "No predictive scale-up without enough history"),
    "bounds-wait-for-windows": catch("scaling", {LOWERED_MAX, RAISED_MIN}, SCALE_UP),
    "calibration-wipes-learned-hours": catch(
        "learning", {"Calibration keeps what was learned about an hour whose traffic changed"}, DATA_POINT),
    "stale-ready-message": catch("scaling", {"The Ready message follows the problem as it changes"}, MIN_ABOVE_MAX),
    "actual-is-recommendation": catch(
        "scaling", {"The actual replicas are those the deployment runs, not those asked for"}, SCALE_UP),
    "tolerance-a-hundredth": catch("scaling", {TOLERANCE.format("76%", "78%")}, SCALE_UP),
    "learning-status-fields-unset": catch(
        "learning", {"The learning status says since when, how much and how this hour compares"}, DATA_POINT),
    "overall-is-direction": catch("accuracy", {QUICK}, None),
    "always-ready": catch("failure_modes", {BAD_TARGET.format(*row) for row in BAD_TARGETS}, NO_DATA.format("fail")),
    "failures-read-as-zero": catch("failure_modes", {NO_DATA.format("fail"), NO_DATA.format("answer garbage"),
                                                     NONE_READY, NONE_RUNNING},
                                   NEWER_CONFLICT),
    "no-scaling-active-condition": catch("failure_modes", {SAYS_NO_METRICS.format(*row) for row in NO_METRICS},
                                         NO_DATA.format("fail")),
    "no-conflict-check": catch("failure_modes", {NEWER_CONFLICT}, NO_DATA.format("fail")),
    "conflict-blocks-both": catch("failure_modes", {"The older of two scalers on one deployment keeps scaling it"},
                                  NEWER_CONFLICT),
    "panic-never-entered": catch("strategies", {KPA_BURST, KPA_PANIC, KPA_IN_A_BURST}, KPA_SPIKE),
    "hpa-policies-dropped": catch("strategies", {HPA_IN_A_BURST}, HPA_SCALES),
    "policy-period-ignored-in-a-burst": catch("strategies", {BUDSCALER_IN_A_BURST}, HPA_IN_A_BURST),
    "kpa-this-tick-only": catch("strategies", {KPA_SPIKE, KPA_PANIC}, KPA_BURST),
    "panic-threshold-a-hundredth": catch("strategies", {KPA_CALM}, KPA_BURST),
    "skip-scale-up-window": catch("scaling", {"No scale-up before the scale-up window has passed"}, SCALE_DOWN),
    "hpa-never-updated": catch("strategies", {HPA_OWNED}, KPA_BURST),
    "hpa-left-behind": catch("strategies", {HPA_OWNED, HPA_SWITCH}, KPA_BURST),
    "hpa-tolerance-ignored": catch("strategies", {HPA_TOLERANCE}, HPA_SCALES),
    "hpa-scale-down-window-dropped": catch("strategies", {HPA_DOWN_WINDOW}, HPA_SCALES),
    "hpa-decision-unreported": catch("strategies", {HPA_SCALES, HPA_TOLERANCE}, HPA_OWNED),
    "hpa-kept-after-strategy-change": catch("strategies", {HPA_SWITCH}, HPA_OWNED),
    "resource-read-as-zero": catch("metric_sources", {RESOURCE_SOURCE}, PROMETHEUS_SOURCE),
    "custom-read-as-zero": catch("metric_sources", {CUSTOM_SOURCE}, RESOURCE_SOURCE),
    "prometheus-read-as-zero": catch("metric_sources", {PROMETHEUS_SOURCE}, RESOURCE_SOURCE),
    "memory-read-as-zero": catch("metric_sources", {MEMORY_SOURCE}, RESOURCE_SOURCE),
    "hpa-external-metrics-dropped": catch("metric_sources", {EXTERNAL_SOURCE}, PROMETHEUS_SOURCE),
    "first-source-only": catch("metric_sources", {SEVERAL_SOURCES}, SOURCE.format("pod", "JSON")),
    "pod-sources-unread": catch("metric_sources", {SOURCE.format("pod", "Prometheus text"), SOURCE.format("pod", "JSON"),
                                                   SEVERAL_SOURCES}, SOURCE.format("inferenceEngine", "Prometheus text")),
    "inference-engine-sources-unread": catch("metric_sources", {SOURCE.format("inferenceEngine", "Prometheus text")},
                                             SOURCE.format("pod", "JSON")),
    "select-policy-inverted": catch("policies", {FIRST_DOWN.format("Min", 9), FIRST_DOWN.format("Max", 8)},
                                    DISABLED),
    "disabled-ignored": catch("policies", {DISABLED, DISABLED_BARE}, FIRST_DOWN.format("Min", 9)),
    "policy-period-ignored": catch("policies", {PERIOD}, DISABLED),
    "disabled-needs-policies": catch("policies", {DISABLED_BARE}, DISABLED),
    "rate-reverses-direction": catch("policies", {RATE, UP_RATE_HALF}, DISABLED),
    "up-rate-ignored": catch("policies", {UP_RATE}, DISABLED),
    "history-uncapped": catch("lifecycle", {HISTORY}, SCALER_GOES),
    "history-newest-first": catch("lifecycle", {HISTORY}, SCALER_GOES),
    "never-to-zero": catch("lifecycle", {"A scaler allowed down to zero takes an idle workload to zero"}, HISTORY),
    "finalizer-kept": catch("lifecycle", {SCALER_GOES}, HISTORY),
    "learning-data-orphaned": catch("lifecycle", {"Deleting the scaler deletes its learning data"}, SCALER_GOES),
    "budget-ignored": catch("cost", {"The budget holds a scale-up and releases it when it rises"}, UNPRICED),
    "spot-price-ignored": catch("cost", {"Spot prices buy more replicas than on-demand prices"}, UNPRICED),
    "gpu-threshold-inverted": catch("gpu", {"GPU memory above its threshold raises the replicas"},
                                    "GPUs below their thresholds add no replica"),
    "hint-window-an-hour-early": catch("schedule_hints", {"Business hours bring their floor when they begin"},
                                       "The maximum replicas still bound a hint's floor"),
    "constant-predictor": catch("prediction", {"A rising load is predicted before it reaches the target"},
                                "Scheduled capacity is in place when the afternoon peak begins"),
    "calibration-never-triggered": catch(
        "learning", {"Calibration keeps what was learned about an hour whose traffic changed",
                     "Predictions that turn out wrong bring a calibration"}, DATA_POINT),
    "configmap-name-unreported": catch(
        "learning", {"The scaler names the ConfigMap that keeps its learning data"}, DATA_POINT),
    "constant-predictor-accuracy": catch("learning", {"Prediction accuracy is tracked"}, DATA_POINT),
    "prediction-unheeded": catch("prediction", {CONFIDENT}, SLOW_RISE),
    "prediction-trusted-outright": catch("prediction", {SLOW_RISE}, "No predictive scale-up without enough history"),
    "look-ahead-fixed": catch("prediction", {"A longer look-ahead acts on the same slow rise"}, CONFIDENT),
    "prediction-status-hidden": catch(
        "prediction", {"The scaler reports what it predicts and how confident it is"}, CONFIDENT),
    "queue-unread": catch("load", {QUEUING}, ONE_POD_LOAD),
    "waiting-read-as-running": catch("load", {ONE_POD_LOAD}, QUEUING),
    "simulator-hides-queue": catch("load", {QUEUING}, ONE_POD_LOAD),
    "gate-ignored": catch("policies", {GATE, KPA_WAITS}, KPA_PASSES),
    "bypass-ignored": catch("policies", {KPA_PASSES}, GATE),
    "annotations-ignored": catch("policies", {UP_COOLDOWN, DOWN_COOLDOWN, UP_TOLERANCE, DOWN_TOLERANCE, KPA_PASSES},
                                 GATE),
    "unready-pods-counted": catch("failure_modes", {STARTING_UNREAD}, NEWER_CONFLICT),
    "unready-read-as-zero": catch("failure_modes", {NONE_READY}, STARTING_UNREAD),
    "actual-is-asked": catch("lifecycle", {ACTUAL_READY}, HISTORY),
    "actual-is-made": catch("lifecycle", {ACTUAL_READY}, HISTORY),
    "actual-is-recommendation-lifecycle": catch("lifecycle", {ACTUAL_READY}, HISTORY),
    "baseline-inside-tolerance": catch("scaling", {ROLLOUT_BAND}, SCALE_UP),
    "statefulsets-not-scaled": catch("lifecycle", {STATEFULSET}, HISTORY),
}
# The issues ask that every scenario of these features is caught by some broken model.
EVERY_SCENARIO_GUARDED = ("learning", "accuracy", "failure_modes", "strategies", "lifecycle", "metric_sources", "policies",
                         "load")


def run_scenarios(feature: str, keys: set[str], tmp_path: Path, mutant: str | None = None) -> Run:
    chosen = [s for s in spec_scenarios(feature) if s.key in keys]
    missing = keys - {s.key for s in chosen}
    assert not missing, f"no such scenarios in {feature}.feature: {missing}"
    runner = [sys.executable, "tests/mutants/run.py", mutant] if mutant else None
    return run_behave(chosen, tmp_path / f"{mutant or 'clean'}-{feature}.json",
                      "-D", f"artifacts={tmp_path / 'artifacts'}", runner=runner)


@pytest.fixture(scope="module")
def clean_results(tmp_path_factory):
    """The unbroken operator on every scenario some mutant needs, one run per feature."""
    tmp = tmp_path_factory.mktemp("clean")
    wanted: dict[str, set[str]] = {}
    for c in CAUGHT_BY.values():
        wanted.setdefault(c.feature, set()).update(c.guards | ({c.unaffected} if c.unaffected else set()))
    return {feature: run_scenarios(feature, keys, tmp) for feature, keys in wanted.items()}


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_broken_model_is_caught(mutant, clean_results, tmp_path):
    c = CAUGHT_BY[mutant]
    clean = clean_results[c.feature]
    keys = set(c.guards) | ({c.unaffected} if c.unaffected else set())
    for key in keys:
        assert clean.statuses.get(key) == "passed", f"control: {key!r} should pass unbroken:\n{clean.output}"
    run = run_scenarios(c.feature, keys, tmp_path, mutant)
    assert run.exit_code != 0, f"behave should exit non-zero with the {mutant} model:\n{run.output}"
    for guard in c.guards:
        assert run.statuses.get(guard) == "failed", \
            f"the {mutant} model should fail {guard!r} on an assertion, got {run.statuses.get(guard)}:\n{run.output}"
        assert run.failed_steps[guard].endswith(": failed"), \
            f"{guard!r} should fail on a Then's assertion, not an error: {run.failed_steps[guard]}"
    if c.unaffected:
        assert run.statuses.get(c.unaffected) == "passed", \
            f"the {mutant} model should leave {c.unaffected!r} passing:\n{run.output}"


@pytest.mark.parametrize("feature", EVERY_SCENARIO_GUARDED)
def test_every_scenario_catches_some_broken_model(feature):
    guarded = set().union(*(c.guards for c in CAUGHT_BY.values() if c.feature == feature))
    assert set(scenario_lines(feature)) <= guarded, f"{feature} scenarios no mutant checks"
