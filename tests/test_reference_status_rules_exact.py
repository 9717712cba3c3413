"""Status rules to the letter: ScalingActive's messages, a refreshed condition's message, the history carried over,
and which rival a conflict names."""
from hamcrest import assert_that, contains_exactly, equal_to, has_entries, none

from support.reference.model import CONTRACT
from support.reference.status_rules import TargetReplicas, conflict, scale_status, scaling_active, set_condition

NOW = 1_767_607_200.0


def test_scaling_active_messages_list_what_was_read_and_what_failed():
    assert_that(scaling_active({}, ["a", "b"], CONTRACT),
                equal_to(("True", "ValidMetricFound", "the scaler read a, b")))
    assert_that(scaling_active({"c": "down", "d": "timeout"}, ["a"], CONTRACT),
                equal_to(("True", "ValidMetricFound", "the scaler read a; could not read c: down; d: timeout")))


def test_a_condition_with_the_same_status_gets_the_new_message():
    before = set_condition([], "Ready", "True", "Ok", "first", NOW, CONTRACT)
    after = set_condition(before, "Ready", "True", "StillOk", "second", NOW + 60, CONTRACT)
    assert_that(after, contains_exactly(has_entries(reason="StillOk", message="second")))


def test_a_scale_keeps_the_earlier_history():
    earlier = {"scalingHistory": [{"timestamp": "2026-01-05T09:00:00Z", "previousScale": 1, "newScale": 2}]}
    status = scale_status(earlier, now=NOW, current=2, recommendation=3, reason="up", algorithm="budscaler",
                          target=TargetReplicas(2, 2, 2), model=CONTRACT)
    assert_that([h["newScale"] for h in status["scalingHistory"]], equal_to([2, 3]), "the old entry, then the new")


def scaler(name, created=None):
    metadata = {"name": name, **({"creationTimestamp": created} if created else {})}
    return {"metadata": metadata, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "llm"}}}


def test_a_conflict_names_the_oldest_rival():
    me = scaler("me", "2026-01-05T10:00:00Z")
    rivals = [scaler("b", "2026-01-05T09:00:00Z"), scaler("a", "2026-01-05T08:00:00Z"), scaler("c", "2026-01-05T09:30:00Z")]
    assert_that(conflict(me, rivals, CONTRACT),
                equal_to("conflict: BudAIScaler a is already targeting Deployment/llm"))


def test_a_scaler_without_a_creation_time_counts_as_the_oldest():
    rival = scaler("a", "1970-01-01T00:00:00.5Z")
    assert_that(conflict(scaler("z"), [rival], CONTRACT), none(), "no creation time sorts before half a second in")
