"""Scaler settings in the features' words become BudAIScaler spec changes (support/scaler_settings.py)."""

import pytest

from support.scaler_settings import apply_changes, spec_changes

SPEC = {"minReplicas": 1, "maxReplicas": 5, "predictionConfig": {"enabled": True, "lookAheadMinutes": 15},
        "scheduleHints": [{"name": "rush", "cronExpression": "0 9 * * 1-5", "targetReplicas": 4, "duration": "2h"},
                          {"name": "night", "cronExpression": "0 23 * * *", "targetReplicas": 1, "duration": "7h"}]}


def changed(rows):
    spec = {k: (v.copy() if isinstance(v, dict) else list(v) if isinstance(v, list) else v) for k, v in SPEC.items()}
    apply_changes(spec, spec_changes(spec, rows))
    return spec


def test_all_hints_removed_and_one_added_after():
    spec = changed([("schedule hints", "none"), ("schedule hint \"peak\"", "5 replicas all day")])
    assert spec["scheduleHints"] == [{"name": "peak", "cronExpression": "0 0 * * *", "targetReplicas": 5,
                                      "duration": "24h"}]


def test_look_ahead_keeps_the_rest_of_the_prediction_config():
    assert changed([("look-ahead", "60 minutes")])["predictionConfig"] == {"enabled": True, "lookAheadMinutes": 60}


def test_bounds_and_budget():
    spec = changed([("maximum replicas", "10"), ("budget per hour", "$1.50")])
    assert spec["maxReplicas"] == 10 and spec["costConfig"] == {"enabled": True, "budgetPerHour": "1.50"}


@pytest.mark.parametrize("row, fix", [
    (("look-ahead", "an hour"), "30 minutes"),
    (("schedule hints", "some"), 'schedule hint "<name>"'),
    (("maximum replicas", "ten"), "number of replicas"),
    (("replicas please", "3"), "use one of"),
])
def test_a_bad_setting_names_what_is_accepted(row, fix):
    with pytest.raises(ValueError, match=fix.replace("(", r"\(")) as raised:
        spec_changes(SPEC, [row])
    assert fix in str(raised.value)
