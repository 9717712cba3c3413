"""Small modules to the letter: the model's refusals, metric text parsing, pod counts."""
import pytest
from hamcrest import assert_that, calling, equal_to, raises

from support.reference.metrics import MetricNotFound, as_number, parse_metric
from support.reference.model import QUIRKS, Model, model_named
from support.reference.pods import PodCounts, should_gate


def test_quirks_on_the_contract_are_refused_with_the_fix():
    assert_that(calling(model_named).with_args("contract", ["tolerance-as-percent"]),
                raises(ValueError, "^quirks are departures of the as-built model: choose the model 'as-built'$"))


def test_unknown_quirks_are_listed_with_the_known_ones():
    with pytest.raises(ValueError) as error:
        model_named("as-built", ["zz-b", "zz-a"])
    assert_that(str(error.value), equal_to(f"unknown quirk(s) zz-a, zz-b: choose from {', '.join(sorted(QUIRKS))}"))


def test_asking_a_model_about_an_unknown_quirk_names_it():
    with pytest.raises(KeyError) as error:
        Model("m", frozenset()).has("nope")
    assert_that(error.value.args, equal_to(("unknown quirk 'nope'",)))


def test_a_line_starting_with_a_hash_is_a_comment_even_if_it_reads_like_a_sample():
    assert_that(calling(parse_metric).with_args("#queue 9\n\nqueue 3\n", "#queue"),
                raises(MetricNotFound, "^metric #queue not found in response$"))


def test_as_number_reads_numbers_and_go_float_text():
    assert_that([as_number(5), as_number(2.5), as_number("7"), as_number(True), as_number(None)],
                equal_to([5.0, 2.5, 7.0, None, None]), "ints, floats and numeric text; not booleans or null")


def test_a_pending_pod_being_deleted_is_not_counted():
    pending = {"status": {"phase": "Pending"}}
    deleting = {"metadata": {"deletionTimestamp": "2026-01-05T10:00:00Z"}, "status": {"phase": "Pending"}}
    assert_that(PodCounts.from_pods([pending, deleting, pending]).pending, equal_to(2),
                "the two pods not being deleted")


@pytest.mark.parametrize("ready, starting, pods, percent, gated", [
    (0, 5, 0, 0, False),       # both limits off
    (1, 1, 1, 0, True),        # one starting pod reaches maxStartingPods 1
    (1, 1, 0, 50, True),       # 50 % starting reaches 50 %
    (3, 1, 0, 50, False),
    (0, 0, 0, 50, False),      # no pods at all
])
def test_should_gate(ready, starting, pods, percent, gated):
    assert_that(should_gate(ready, starting, pods, percent), equal_to(gated),
                f"{starting} starting beside {ready} ready, maxStartingPods {pods}, maxStartingPodPercent {percent}")
