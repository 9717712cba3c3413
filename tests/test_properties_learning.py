"""Properties of the reference model's learning, for any traffic and any time of the week (hypothesis).

- the seasonal bucket of every hour of the week, in the controller's location (UTC), is
  weekday x 24 + hour with Sunday = 0, and the suite's reader of the ConfigMap agrees;
- what the learning system knows round-trips through its ConfigMap (what the suite reads too);
- no learned hour is lost under the contract: a bucket's observations never go down, whatever
  the traffic, the verifications and the calibrations (as built, calibration wipes hours).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, note
from hypothesis import strategies as st

from support import learning_data
from support.reference.learning.patterns import LLMMetrics
from support.reference.learning.seasonal import BUCKETS, bucket_index
from support.reference.learning.system import LearningSystem
from support.reference.model import AS_BUILT, CONTRACT

SUNDAY = datetime(2026, 1, 4, tzinfo=timezone.utc)  # 00:00 of the Sunday before the virtual epoch
WEEK = 7 * 24 * 3600
DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
METRIC = "vllm:gpu_cache_usage_perc"


@given(weeks=st.integers(-60, 520), hour_of_week=st.integers(0, BUCKETS - 1), second=st.integers(0, 3599))
def test_every_hour_of_the_week_has_its_own_bucket(weeks, hour_of_week, second):
    moment = SUNDAY + timedelta(weeks=weeks, hours=hour_of_week, seconds=second)
    day, hour = DAY_NAMES[hour_of_week // 24], hour_of_week % 24
    assert moment.strftime("%A") == day and moment.hour == hour
    assert bucket_index(moment.timestamp()) == hour_of_week
    assert learning_data.bucket_index(day, hour) == hour_of_week


def _system(model=CONTRACT) -> LearningSystem:
    return LearningSystem("learning-scaler", "ns", look_ahead_minutes=5, historical_days=7, enabled=True,
                          model=model)


# One tick of traffic: seconds since the previous tick, the GPU cache usage, and replica counts.
ticks = st.lists(st.tuples(st.sampled_from([10, 10, 10, 60, 600, 3600]), st.floats(0, 1),
                           st.integers(1, 6), st.integers(1, 6), st.integers(1, 6)), min_size=1, max_size=120)
starts = st.integers(0, WEEK - 1).map(lambda offset: SUNDAY.timestamp() + WEEK + offset)


def _run(system: LearningSystem, start: float, traffic, on_tick=None) -> float:
    now, actual = start, 1
    for gap, usage, current, recommended, predicted in traffic:
        now += gap
        system.record(now, {METRIC: usage}, LLMMetrics(gpu_cache_usage=usage), current, recommended, predicted)
        system.verify(now, actual)
        actual = recommended
        if on_tick is not None:
            on_tick(now)
    return now


@given(start=starts, traffic=ticks)
def test_what_was_learned_round_trips_through_the_configmap(start, traffic):
    system = _system()
    now = _run(system, start, traffic)
    data = system.configmap_data(now)
    restored = _system()
    restored.load_configmap_data(data)
    assert restored.seasonal.to_json() == system.seasonal.to_json()
    assert restored.tracker.to_json() == system.tracker.to_json()
    assert restored.detector.to_json() == system.detector.to_json()
    assert restored._encode(now) == system._encode(now)
    assert restored.status(now) == system.status(now)
    configmap = {"metadata": {"name": LearningSystem.configmap_name("learning-scaler")}, "data": data}
    assert learning_data.saved_data_points(configmap) == system.seasonal.data_points()
    for index in range(0, BUCKETS, 7):
        bucket = system.seasonal.profiles[METRIC].buckets[index]
        read = learning_data.seasonal_bucket(configmap, METRIC, DAY_NAMES[index // 24], index % 24)
        assert (read.mean, read.observations) == (bucket.mean, bucket.observations)


def _observations(system: LearningSystem) -> list[int]:
    profile = system.seasonal.profiles.get(METRIC)
    return [b.observations for b in profile.buckets] if profile else [0] * BUCKETS


@given(start=starts, traffic=ticks)
def test_no_learned_hour_is_lost(start, traffic):
    system = _system()
    seen = [_observations(system)]

    def never_fewer(now: float) -> None:
        observations = _observations(system)
        lost = [i for i, (before, after) in enumerate(zip(seen[-1], observations)) if after < before]
        assert not lost, f"hours of the week {lost} lost observations at {datetime.fromtimestamp(now, timezone.utc)}"
        seen.append(observations)

    _run(system, start, traffic, never_fewer)
    note(f"calibrated at {system.tracker.last_calibration}")


def test_as_built_calibration_loses_the_hour_whose_traffic_changed():
    """The property above is not vacuous: the as-built calibration wipes a changed hour."""
    monday_10 = SUNDAY.timestamp() + WEEK + 34 * 3600
    system = _system(AS_BUILT)
    usage = [(10, 0.2, 1, 1, 1)] * 60 + [(10, 0.9, 1, 1, 4)] * 120 + [(10, 0.2, 1, 1, 1)] * 60
    busy_hour = bucket_index(monday_10 + 10 * 61)
    peak = 0

    def track(now: float) -> None:
        nonlocal peak
        peak = max(peak, _observations(system)[busy_hour])

    _run(system, monday_10, usage, track)
    assert peak > 10 and _observations(system)[busy_hour] < peak
