"""Sentences about prediction accuracy: drive a traffic trace, record, measure, compare, report."""

from behave import given, then, when
from hamcrest import all_of, assert_that, close_to, greater_than_or_equal_to, has_length, less_than_or_equal_to

from support.accuracy import AccuracySummary, parse_number, parse_percent
from support.accuracy_report import write_csv, write_plot
from support.recording import TICK
from support.traffic import parse_demand, ramp

MIN_SAMPLES = 10
DEMAND_STEP = 10.0  # one controller tick
TRACE_POLL = 2.0    # new pods get their share well before they can be Ready and scraped


@given("the scaler's predictions are being recorded")
def step_record(context):
    context.world.record_predictions()


@when("predictions are recorded for another {for_:Duration}")
def step_record_more(context, for_):
    context.world.poller.with_interval(TRACE_POLL).hold(for_)


def _summary(context, since: float | None = None, minimum: int = MIN_SAMPLES) -> AccuracySummary:
    """The suite's own accuracy over matured predictions whose outcome came at or after `since`."""
    recorder = context.world.prediction_recorder()
    recorder.check()
    chosen = [(s, b) for s, b in zip(recorder.aligned(), recorder.befores()) if since is None or s.time >= since]
    assert_that(chosen, has_length(greater_than_or_equal_to(minimum)),
                f"matured predictions recorded from the scaler's status ({len(recorder.predictions())} predictions seen)")
    return AccuracySummary.of([s for s, _ in chosen], [b for _, b in chosen])


# The measures in the controller's own windows: MAE and MAPE as EWMAs (alpha 0.1) over every
# outcome, direction accuracy over the outcomes since its last calibration (which resets it).
_MEASURES = {
    "recent MAE": ("recentMAE", parse_number, lambda whole, _: whole.ewma_mae),
    "recent MAPE": ("recentMAPE", parse_percent, lambda whole, _: whole.ewma_mape),
    "direction accuracy": ("directionAccuracy", parse_percent,
                           lambda _, recent: None if recent.direction_accuracy is None
                           else 100 * recent.direction_accuracy),
}
MIN_SINCE_CALIBRATION = 3


def _in_controller_windows(context) -> tuple[AccuracySummary, AccuracySummary]:
    world = context.world
    calibrated = world.learning_status().get("lastCalibration")  # on the cluster's clock
    if calibrated is None:
        return _summary(context), _summary(context)
    since = world.cluster_time_of(calibrated)
    _assert_seen_calibrating(context, calibrated, since)
    return _summary(context), _summary(context, since=since, minimum=MIN_SINCE_CALIBRATION)


def _assert_seen_calibrating(context, reported: str, since: float) -> None:
    """The window starts at the scaler's own last calibration only if the suite saw it calibrate then:
    the time it reports must fall where the recording saw the reported value change (a tick either side)."""
    world = context.world
    recorder = world.prediction_recorder()
    seen = recorder.when_calibration_was_seen(since)
    if seen is None:  # first reported after the last observation
        seen = (recorder.observations[-1].time if recorder.observations else float("-inf"), world.now())
    earliest, latest = seen
    assert_that(since, all_of(greater_than_or_equal_to(earliest - TICK), less_than_or_equal_to(latest + TICK)),
                f"the last calibration the scaler reports ({reported}), against when the suite saw it change "
                f"(between {earliest - TICK:.0f} and {latest + TICK:.0f}, epoch seconds of cluster time)")


@then("the measured prediction accuracy meets")
def step_thresholds(context):
    whole, recent = _in_controller_windows(context)
    print(f"predictions recorded: {context.world.prediction_recorder().report()}")
    print(f"whole trace:\n{whole.table()}\nsince the last calibration:\n{recent.table()}")
    for row in context.table:
        measure, bound, limit = row["measure"], row["bound"], float(row["limit"].rstrip("%"))
        matcher = less_than_or_equal_to(limit) if bound == "at most" else greater_than_or_equal_to(limit)
        assert_that(_MEASURES[measure][2](whole, recent), matcher, f"measured {measure} ({bound} {row['limit']})")


@then("the accuracy the scaler reports agrees with the measured accuracy")
def step_agrees(context):
    learning = context.world.learning_status()
    whole, recent = _in_controller_windows(context)
    for row in context.table:
        field, parse, measured = _MEASURES[row["measure"]]
        tolerance = float(row["within"].split()[0])
        reported = parse(learning.get(field, "missing"))
        assert_that(reported, close_to(measured(whole, recent), tolerance),
                    f"the scaler's reported {field} against the suite's own {row['measure']}")


@then("the accuracy report is saved as a table, a CSV file and a plot")
def step_report(context):
    world = context.world
    recorder = world.prediction_recorder()
    samples = recorder.aligned()
    directory = world.artifacts_directory()
    (directory / "accuracy.txt").write_text(f"{_summary(context).table()}\n{recorder.report()}\n")
    csv_path = write_csv(directory / "accuracy.csv", samples)
    png_path = write_plot(directory / "accuracy.png", samples, f"{world.scaler_name()}: predicted vs actual replicas")
    for path in (csv_path, png_path):
        assert_that(path.stat().st_size, greater_than_or_equal_to(1), f"{path} should not be empty")
    print(f"accuracy report: {directory}")


@when("the GPU cache demand, shared by the inference pods, follows this trace, {phase:Duration} per phase")
def step_demand_trace(context, phase):
    world = context.world
    demand = world.shared_demand()
    poller, started, levels = world.poller.with_interval(TRACE_POLL), world.now(), []
    for row in context.table:
        start, end = parse_demand(row["demand"])
        levels += ramp(start, end, phase, DEMAND_STEP)
    for step, level in enumerate(levels, 1):
        demand.set(level)  # asserts that a running pod took its share
        poller.hold_until(started + step * DEMAND_STEP)
