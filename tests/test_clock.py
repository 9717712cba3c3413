"""The virtual clock: timers in time order, advance_until and its stop condition, and the settle
protocol that holds virtual time still while a watch event is in flight."""

from __future__ import annotations

import threading

import pytest

from support.clock import SettleTimeout, VirtualClock

WAIT = 10.0  # real seconds a test waits for another thread before it fails


def test_timers_run_in_time_order_and_time_ends_at_the_target():
    clock = VirtualClock()
    t0, seen = clock.now(), []
    clock.call_later(5, lambda: seen.append(("a", clock.now() - t0)))
    clock.call_later(2, lambda: seen.append(("b", clock.now() - t0)))
    assert clock.advance_until(t0 + 10) is False
    assert seen == [("b", 2.0), ("a", 5.0)] and clock.now() == t0 + 10


def test_advance_until_stops_after_the_instant_where_stop_holds():
    clock = VirtualClock()
    t0, changes = clock.now(), []
    clock.call_later(3, lambda: changes.append("first"))
    clock.call_later(3, lambda: changes.append("same instant"))
    clock.call_later(7, lambda: changes.append("later"))
    assert clock.advance_until(t0 + 60, stop=lambda: bool(changes)) is True
    assert clock.now() == t0 + 3 and changes == ["first", "same instant"], "the whole instant runs, nothing after"
    assert clock.advance_until(t0 + 60, stop=lambda: len(changes) > 2) is True
    assert clock.now() == t0 + 7


def test_advance_until_checks_stop_before_moving():
    clock = VirtualClock()
    t0, ran = clock.now(), []
    clock.call_later(1, lambda: ran.append(1))
    assert clock.advance_until(t0 + 10, stop=lambda: True) is True
    assert clock.now() == t0 and ran == []


def test_wrappers_advance_sleep_and_run_due():
    clock = VirtualClock()
    t0, ran = clock.now(), []
    clock.call_later(0, lambda: ran.append("now"))
    clock.run_due()
    assert ran == ["now"] and clock.now() == t0
    clock.sleep(2)
    clock.advance(3)
    assert clock.now() == t0 + 5


def test_time_does_not_move_while_a_feed_has_an_unhandled_event():
    clock = VirtualClock()
    t0, ran = clock.now(), []
    clock.call_later(5, lambda: ran.append(clock.now() - t0))
    clock.feed_sent("informer-1")
    advancing = threading.Thread(target=clock.advance, args=(10,), daemon=True)
    advancing.start()
    advancing.join(0.3)
    assert advancing.is_alive() and clock.now() == t0 and ran == [], "time waits for the unhandled event"
    assert clock.unsettled() == {"informer-1": (1, 0)}
    clock.feed_handled("informer-1")
    advancing.join(WAIT)
    assert not advancing.is_alive() and ran == [5.0] and clock.now() == t0 + 10


def test_events_sent_by_a_timer_are_handled_before_the_next_timer_runs():
    clock = VirtualClock()
    order = []

    def write():  # a timer whose write reaches a watch client on another thread
        order.append("write")
        clock.feed_sent("f")
        threading.Timer(0.05, lambda: (order.append("handled"), clock.feed_handled("f"))).start()

    clock.call_later(1, write)
    clock.call_later(1, lambda: order.append("next timer, same instant"))
    clock.advance(2)
    assert order == ["write", "handled", "next timer, same instant"]


def test_a_closed_feed_no_longer_holds_time():
    clock = VirtualClock()
    clock.feed_sent("gone", 3)
    clock.feed_closed("gone")
    clock.feed_handled("gone")  # a late handled of a closed feed is ignored
    clock.advance(1)
    assert clock.unsettled() == {}


def test_settle_times_out_naming_the_stuck_feeds():
    clock = VirtualClock()
    clock.feed_sent("ok")
    clock.feed_handled("ok")
    clock.feed_sent("stuck-feed", 2)
    with pytest.raises(SettleTimeout, match=r"stuck-feed \(sent 2, handled 0\)") as error:
        clock.settle(timeout=0.05)
    assert "ok (" not in str(error.value), "a feed that handled everything is not named"
