"""Behaviour models: the documented contract versus the code as built.

A ``Model`` is a named set of quirks. Each quirk is a deviation of the
as-built controller from its documented contract (behaviour catalogue §7).
The reference model consults ``model.has(quirk)`` wherever the two differ.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

QUIRKS: dict[str, str] = {
    "tolerance-as-percent":
        "§7.4: behavior.scaleUp.tolerance is divided by 100 at use (0.1 means 0.1 %)",
    "stabilization-as-cooldown":
        "§7.7: stabilization windows are cooldowns since the last scale, not HPA windows",
    "policy-period-ignored":
        "§7.7: policy periodSeconds is ignored; limits apply per 10 s tick",
    "unready-pods-read-as-zero":
        "§7.12: all running pods unready -> empty pod-metric snapshot averages 0",
    "baseline-inside-tolerance":
        "§7.32: BudScaler returns the starting-pod baseline inside the tolerance band",
    "nan-confidence":
        "§7.19: NaN prediction confidence passes the < 0.7 guard; blend becomes 1 replica",
    "bounds-before-stabilization":
        "§4.3 steps 6-8, §4.4: the min/max clamp comes before policies, the starting-pods gate and the "
        "stabilization cooldown, so a lowered maximum or a raised minimum waits out the cooldown",
    "calibration-wipes-learned-hours":
        "§5.5: calibration resets the seasonal buckets of the worst-predicted hours (the hours whose "
        "traffic changed), so what was learned about them is lost",
    "cost-before-clamp":
        "§7.8: cost ceiling applied before the min/max clamp, so minReplicas beats the budget",
    "actual-scale-is-recommendation":
        "§7.25: status.actualScale holds the recommendation, not observed replicas",
    "ready-reason-not-refreshed":
        "§7.26: Ready condition reason/message not refreshed while status unchanged",
    "learning-never-persisted":
        "§7.21: learning data is never written to the ConfigMap",
    "pattern-detection-unwired":
        "§7.22: pattern detection never invoked; detectedPattern always steady_state",
    "llm-metrics-zero":
        "§7.22: LLM metrics fed to learning (cache usage, queue) are always 0",
    "direction-accuracy-is-overall":
        "§7.23: learningStatus.directionAccuracy holds overallAccuracy",
    "learning-status-fields-unset":
        "§7.23: oldestDataPoint, currentSeasonalFactor, lastCalibration, storageUsed never set",
    "fixed-lookahead":
        "§7.18: predictor ignores lookAheadMinutes (always 15 min) and historicalDataDays",
    "predictor-shared-by-metric":
        "§7.18: predictor history keyed by metric name only, shared across scalers",
    "prediction-status-never-written":
        "§1.3: status.predictionStatus is never written",
    "dcgm-needs-fb-total":
        "§7.15: GPU memory use needs DCGM_FI_DEV_FB_TOTAL; real exporters publish FB_FREE, "
        "so memory utilisation reads 0",
    "gpu-status-never-written":
        "§7.15, §1.3: status.gpuStatus is never written (and the GPU type never parsed)",
    "cost-without-budget-caps":
        "§7.8: cost enabled without a budget caps the workload at 1 replica (then minReplicas)",
    "budget-per-day-ignored":
        "§7.16: costConfig.budgetPerDay is parsed but limits nothing",
    "cost-status-never-written":
        "§7.16: status.costStatus is never written",
    "cost-nan-at-zero-replicas":
        "§7.16 (§5.2): the per-replica price is current cost / current replicas, NaN at 0 "
        "replicas, which switches every cost limit off",
    "cost-unpriced-silently":
        "§7.16: with cloudProvider gcp or azure the hard-coded g5.xlarge has no price and the budget "
        "is dropped without a word (no event, nothing in the reason)",
    "hints-shared-by-name":
        "§7.17: schedule hints live in one process-wide list, first definition of a name wins, "
        "and apply to every scaler with hints or prediction",
    "select-disabled-needs-policies":
        "§7.7: selectPolicy Disabled has no effect unless the direction lists a policy",
    "rate-reverses-direction":
        "§7.6: maxScaleRate multiplies as written: a scale-down rate above 1 (or a scale-up rate "
        "below 1) turns the direction round",
    "scale-down-tolerance-unused":
        "§7.4: scaleDown.tolerance is never read; the scale-up tolerance applies both ways",
    "never-scales-to-zero":
        "§7.11, §7.7: with minReplicas 0 a zero metric keeps the current count; policy floor is 1",
    "panic-threshold-as-percent":
        "§7.5: KPA divides the panic threshold by 100 (default 2.0 -> 2 %, panic at almost any load)",
    "kpa-windows-unused":
        "§7.14: KPA reads only this tick's metric: no stable/panic windows, no panic hold",
    "no-metrics-without-pods":
        "§7.11: with no running pod every source fails, external and prometheus too: no scale from zero",
    "custom-uses-resource-fetcher":
        "§7.10: custom sources read metrics.k8s.io (cpu/memory only), never the custom metrics API",
    "prometheus-scalar-unsupported":
        "§7.13: a Prometheus scalar result fails to decode; only vectors are read",
    "external-body-not-trimmed":
        "§7.13: an external body '42\\n' is not a number: no whitespace is trimmed",
    "only-ready-condition":
        "§7.26, §1.4: only Ready is written; a scaler whose every metric fails looks healthy",
    "hpa-kept-after-strategy-change":
        "§2.3, §2.9: <scaler>-hpa is deleted only when a scaler using HPA is deleted; switched to another "
        "strategy, the scaler leaves its HPA scaling the target too",
    "conflict-blocks-both":
        "§7.27: two scalers on one target block each other; neither keeps scaling",
}


@dataclass(frozen=True)
class Model:
    """A named behaviour model: the set of as-built quirks it reproduces."""

    name: str
    quirks: frozenset[str]

    def has(self, quirk: str) -> bool:
        """True if this model reproduces ``quirk``; KeyError for unknown names."""
        if quirk not in QUIRKS:
            raise KeyError(f"unknown quirk {quirk!r}")
        return quirk in self.quirks


CONTRACT = Model("contract", frozenset())
AS_BUILT = Model("as-built", frozenset(QUIRKS))


def model_named(name: str, quirks: Iterable[str] | None = None) -> Model:
    """Return the model called ``name`` ("contract" or "as-built").

    ``quirks`` switches on only those departures of the as-built model (one at a
    time shows which scenarios each one breaks); None means all of them.
    """
    model = next((m for m in (CONTRACT, AS_BUILT) if m.name == name), None)
    if model is None:
        raise ValueError(f"unknown model {name!r}: choose 'contract' or 'as-built'")
    if quirks is None:
        return model
    chosen = frozenset(quirks)
    if name != AS_BUILT.name:
        raise ValueError("quirks are departures of the as-built model: choose the model 'as-built'")
    unknown = sorted(chosen - set(QUIRKS))
    if unknown:
        raise ValueError(f"unknown quirk(s) {', '.join(unknown)}: choose from {', '.join(sorted(QUIRKS))}")
    return Model(AS_BUILT.name, chosen)
