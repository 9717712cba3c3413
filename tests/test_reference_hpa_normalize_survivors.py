"""How the HPA turns a proposal into replicas (support/reference/hpa_normalize.py) at an edge its other tests
left open: written against the survivors of `make mutation` (docs/mutation-survivors.md): the conditions it
sets for the first time are stamped with the time of the sync.
"""
from hamcrest import assert_that, equal_to

from support.reference.hpa_normalize import HpaState, normalize
from support.reference.hpa_status import HpaStatus
from test_reference_hpa_normalize_edges import NOW, rules


def test_new_conditions_carry_the_time_of_the_sync():
    for behavior in (None, rules()):
        _, status = normalize(HpaState(), HpaStatus(), behavior, 2, 2, 1, 10, NOW)
        times = {c.type: c.last_transition for c in status.conditions}
        assert_that(times, equal_to({"AbleToScale": NOW, "ScalingLimited": NOW}),
                    f"behavior {behavior!r}: both conditions are new, so they changed now")
