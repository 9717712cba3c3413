"""Small support pieces the steps lean on: phrases, traffic, recording, learning data, gaps, tags, time of week."""

import json
from types import SimpleNamespace

import pytest
from hamcrest import assert_that, is_not

from support.accuracy import Sample
from support.clock import VirtualClock
from support.gaps import GapLedger, quirks_of
from support.learning_data import bucket_index, saved_data_points, seasonal_bucket
from support.matchers import all_equal, each_between
from support.phrases import parse_duration, parse_percent
from support.recording import PredictionRecorder, RecorderFailing
from support.scenario_time import starting_times
from support.target import seconds_until
from support.traffic import SharedDemand, parse_demand, ramp
from support.waiting import ON_CHANGES, Poller


@pytest.mark.parametrize("text, seconds", [("90 seconds", 90), ("1 minute", 60), ("3 minutes", 180),
                                           ("2 hours", 7200), ("1.5 minutes", 90)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["90", "soon", "3 days", "-1 seconds"])
def test_bad_durations_name_the_fix(bad):
    with pytest.raises(ValueError, match="write e.g. '90 seconds'"):
        parse_duration(bad)


def test_percent():
    assert parse_percent("85%") == 85.0
    with pytest.raises(ValueError, match="write e.g. '85%'"):
        parse_percent("85")


def test_demand_phrases_and_ramps():
    assert parse_demand("150%") == (150.0, 150.0)
    assert parse_demand("40% rising to 200%") == (40.0, 200.0)
    assert parse_demand("300% falling to 80%") == (300.0, 80.0)
    with pytest.raises(ValueError, match="40% rising to 200%"):
        parse_demand("a lot")
    assert ramp(0, 60, 60, 10) == [10, 20, 30, 40, 50, 60]
    assert ramp(50, 50, 30, 10) == [50, 50, 50]


class _Mocks:
    def __init__(self):
        self.calls = []

    def set_on_every_pod(self, workload, path, **params):
        self.calls.append((path, params))
        return 1


def test_shared_demand_splits_over_pods_and_only_resets_on_change():
    pods = {"n": 1}
    mocks = _Mocks()
    demand = SharedDemand(mocks, workload=None, pods=lambda: pods["n"])
    demand.set(150)
    assert mocks.calls[-1] == ("/set", {"gpu_cache": 100.0})  # one pod cannot hold more than all of its cache
    pods["n"] = 3
    demand.apply()
    assert mocks.calls[-1] == ("/set", {"gpu_cache": 50.0})
    demand.apply()
    assert len(mocks.calls) == 2


def test_recorder_pairs_each_prediction_with_what_ran_look_ahead_later():
    clock = VirtualClock()
    state = {"predicted": 1, "actual": 1}
    recorder = PredictionRecorder(lambda: (state["predicted"], state["actual"], None), clock, look_ahead=30, every=10)
    t0 = clock.now()
    for step in range(7):
        state["predicted"], state["actual"] = 1 + step, 1 + step // 2
        recorder.observe()
        recorder.observe()  # a second call inside the same tick is not a new observation
        clock.advance(10)
    assert [(s.time - t0, s.predicted, s.actual) for s in recorder.aligned()] == [
        (30, 1, 2), (40, 2, 3), (50, 3, 3), (60, 4, 4)]
    assert recorder.befores() == [1, 1, 2, 2]
    assert all(isinstance(s, Sample) for s in recorder.aligned())


def test_recorder_counts_unreadable_status_and_reports_it():
    clock = VirtualClock()

    def broken():
        raise LookupError("no status yet")

    recorder = PredictionRecorder(broken, clock, look_ahead=30)
    recorder.observe()
    assert recorder.observations == [] and recorder.errors == 1 and recorder.attempts == 1
    assert "1 failed reads of 1; last error: LookupError: no status yet" in recorder.report()


def test_a_recorder_whose_reads_fail_too_often_fails_the_wait_it_runs_in():
    clock = VirtualClock()
    reads = iter([(1, 1, None)] * 5)

    def flaky():
        reading = next(reads, None)
        if reading is None:
            raise RuntimeError("API server said 500")
        return reading

    recorder = PredictionRecorder(flaky, clock, look_ahead=30)
    with pytest.raises(RecorderFailing) as failed:
        Poller(clock, interval=10).with_duty(recorder.observe, on=ON_CHANGES).hold(120)
    assert len(recorder.observations) == 5
    assert "could not read the scaler 3 times in 8 tries" in str(failed.value)
    assert "RuntimeError: API server said 500" in str(failed.value)


def test_a_recorder_forgives_a_few_failed_reads():
    clock = VirtualClock()
    answers = iter([LookupError("no status yet")] * 2 + [(1, 1, None)] * 100)

    def probe():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    recorder = PredictionRecorder(probe, clock, look_ahead=30)
    Poller(clock, interval=10).with_duty(recorder.observe, on=ON_CHANGES).hold(300)
    recorder.check()
    assert recorder.errors == 2 and len(recorder.observations) >= 28


def test_the_recorder_says_when_it_saw_a_calibration_reported():
    clock = VirtualClock()
    t0 = clock.now()
    calibrations = iter([None, None, t0 + 15, t0 + 15, t0 + 15])
    recorder = PredictionRecorder(lambda: (1, 1, next(calibrations)), clock, look_ahead=30, every=10)
    for _ in range(5):
        recorder.observe()
        clock.advance(10)
    assert recorder.when_calibration_was_seen(t0 + 15) == (t0 + 10, t0 + 20)
    assert recorder.when_calibration_was_seen(t0 + 99) is None
    first = PredictionRecorder(lambda: (1, 1, t0 - 600), clock, look_ahead=30)
    first.observe()
    assert first.when_calibration_was_seen(t0 - 600) == (float("-inf"), clock.now())


def test_setting_a_shared_demand_no_pod_takes_fails():
    class NoPods:
        def set_on_every_pod(self, workload, path, **params):
            return 0

    with pytest.raises(AssertionError, match="running inference pods that took their share of a 150% demand"):
        SharedDemand(NoPods(), workload=None, pods=lambda: 0).set(150)


def _profiles_configmap(buckets):
    data = {"profiles": {"m": {"buckets": buckets}}}
    return {"metadata": {"name": "s-learning-data"}, "data": {"seasonal_profiles.json": json.dumps(data)}}


def test_learning_configmap_buckets_and_saved_points():
    buckets = [{"mean": 0.0, "observations": 0} for _ in range(168)]
    buckets[bucket_index("Monday", 10)] = {"mean": 0.6, "observations": 12}
    buckets[bucket_index("Sunday", 0)] = {"mean": 0.2, "observations": 3}
    configmap = _profiles_configmap(buckets)
    assert bucket_index("Monday", 10) == 34 and bucket_index("Saturday", 23) == 167
    assert seasonal_bucket(configmap, "m", "Monday", 10).mean == 0.6
    assert saved_data_points(configmap) == 15
    with pytest.raises(LookupError, match="no learned profile for 'other'"):
        seasonal_bucket(configmap, "other", "Monday", 10)
    with pytest.raises(ValueError, match="not a day of the week"):
        bucket_index("Funday", 1)


def test_starting_time_tags():
    assert starting_times(["scaling", "starts.Monday.10:00"]) == [("Monday", 10, 0)]
    assert starting_times(["starts.Friday.9:30", "use.with_target=local"]) == [("Friday", 9, 30)]


def test_seconds_until_a_time_of_the_week():
    monday_10 = VirtualClock().now()  # the virtual epoch is Monday 10:00 UTC
    assert seconds_until(monday_10, "Monday", 10) == 0
    assert seconds_until(monday_10, "Monday", 13, 50) == 3 * 3600 + 50 * 60
    assert seconds_until(monday_10, "Monday", 9) == 7 * 24 * 3600 - 3600
    assert seconds_until(monday_10, "Tuesday", 0) == 14 * 3600
    assert seconds_until(monday_10, None, 13) == 3 * 3600       # any day: later today
    assert seconds_until(monday_10, None, 9) == 23 * 3600       # any day: tomorrow


def test_known_gap_ledger_reports_only_under_as_built():
    scenario = SimpleNamespace(name="S", effective_tags=["known-gap", "quirk.tolerance-as-percent"])
    ledger = GapLedger("as-built")
    ledger.record(scenario, failed=False)
    assert "PASSED, gap may be closed:   S (tolerance-as-percent)" in ledger.report()
    contract = GapLedger("contract")
    contract.record(scenario, failed=True)
    assert contract.report() == ""
    with pytest.raises(ValueError, match="unknown quirk tag"):
        quirks_of(["quirk.no-such-thing"])


def test_with_quirks_chosen_only_their_known_gaps_are_expected_to_fail():
    ledger = GapLedger("as-built", frozenset({"llm-metrics-zero"}))
    assert ledger.expects_failure(["known-gap", "quirk.pattern-detection-unwired", "quirk.llm-metrics-zero"])
    assert not ledger.expects_failure(["known-gap", "quirk.tolerance-as-percent"])
    assert not ledger.expects_failure(["quirk.llm-metrics-zero"])  # not a known gap
    ledger.record(SimpleNamespace(name="T", effective_tags=["known-gap", "quirk.tolerance-as-percent"]), failed=True)
    assert ledger.report() == ""  # a failure of a switched-off quirk's scenario is a real failure


def test_matchers_describe_what_differs():
    assert all_equal("a", "b").matches((2, 2))
    assert_that((2, 3), is_not(all_equal("a", "b")))
    assert each_between(1, 5).matches([1, 5, 3]) and not each_between(1, 5).matches([0, 2])
