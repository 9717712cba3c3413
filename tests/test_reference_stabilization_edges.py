"""The recommendation window at its edges (§4.2): exactly a window old, and the longer of two windows.

Written against the survivors of `make mutation` in support/reference/stabilization.py.
"""

from support.reference.stabilization import RecommendationWindow


def test_a_recommendation_exactly_a_window_old_no_longer_counts():
    # the other window is longer, so the entry is kept, and counts for that window only
    up = RecommendationWindow([(0.0, 2)])
    assert up.stabilize(10.0, current=1, desired=5, up_window=10, down_window=20) == 5
    down = RecommendationWindow([(0.0, 5)])
    assert down.stabilize(10.0, current=5, desired=1, up_window=20, down_window=10) == 1


def test_the_scale_up_window_keeps_what_it_needs_when_it_is_the_longer_one():
    window = RecommendationWindow()
    window.record(0.0, 2)
    assert window.stabilize(0.0, current=1, desired=2, up_window=60, down_window=0) == 2
    window.record(10.0, 5)
    assert window.stabilize(10.0, current=2, desired=5, up_window=60, down_window=0) == 2
