"""The contract / as-built models and their quirk names."""
import pytest

from support.reference.model import AS_BUILT, CONTRACT, QUIRKS, model_named

EXPECTED = {
    "tolerance-as-percent", "stabilization-as-cooldown", "policy-period-ignored",
    "unready-pods-read-as-zero", "baseline-inside-tolerance", "nan-confidence",
    "cost-before-clamp", "actual-scale-is-recommendation", "ready-reason-not-refreshed",
    "learning-never-persisted", "pattern-detection-unwired", "llm-metrics-zero",
    "direction-accuracy-is-overall", "learning-status-fields-unset", "fixed-lookahead",
    "predictor-shared-by-metric", "prediction-status-never-written",
    "dcgm-needs-fb-total", "gpu-status-never-written", "cost-without-budget-caps",
    "budget-per-day-ignored", "cost-status-never-written", "cost-nan-at-zero-replicas", "cost-unpriced-silently",
    "hints-shared-by-name",
    "bounds-before-stabilization", "calibration-wipes-learned-hours",
    "select-disabled-needs-policies", "rate-reverses-direction", "scale-down-tolerance-unused",
    "never-scales-to-zero", "panic-threshold-as-percent", "kpa-windows-unused",
    "no-metrics-without-pods", "custom-uses-resource-fetcher", "prometheus-scalar-unsupported",
    "external-body-not-trimmed", "only-ready-condition", "conflict-blocks-both",
    "hpa-kept-after-strategy-change",
}


def test_quirk_names_are_exactly_the_agreed_ones():
    assert set(QUIRKS) == EXPECTED
    assert all("§" in text for text in QUIRKS.values())


def test_contract_has_no_quirk_and_as_built_has_all():
    assert not any(CONTRACT.has(q) for q in QUIRKS)
    assert all(AS_BUILT.has(q) for q in QUIRKS)


def test_unknown_quirk_is_a_typo():
    with pytest.raises(KeyError):
        CONTRACT.has("tolerance-as-percnt")


def test_model_named():
    assert model_named("contract") is CONTRACT
    assert model_named("as-built") is AS_BUILT
    with pytest.raises(ValueError, match="contract.*as-built"):
        model_named("asbuilt")


def test_model_named_with_quirks_switches_on_only_those():
    one = model_named("as-built", ["tolerance-as-percent"])
    assert one.name == "as-built" and one.quirks == {"tolerance-as-percent"}
    assert one.has("tolerance-as-percent") and not one.has("llm-metrics-zero")
    assert model_named("as-built", []).quirks == frozenset()
    with pytest.raises(ValueError, match="as-built"):
        model_named("contract", ["tolerance-as-percent"])
    with pytest.raises(ValueError, match="unknown quirk.*no-such-quirk.*tolerance-as-percent"):
        model_named("as-built", ["no-such-quirk"])
