"""Sentences about prediction accuracy: drive a traffic trace, record, measure, compare, report."""

from behave import given, then, when
from hamcrest import assert_that, close_to, greater_than_or_equal_to, has_length, less_than_or_equal_to

from support.accuracy import AccuracySummary, parse_number, parse_percent
from support.accuracy_report import write_csv, write_plot
from support.clock import parse_rfc3339 as parse_time
from support.recording import PredictionRecorder
from support.traffic import parse_demand, ramp

MIN_SAMPLES = 10
DEMAND_STEP = 10.0  # one controller tick
TRACE_POLL = 2.0    # new pods get their share well before they can be Ready and scraped


@given("the scaler's predictions are being recorded")
def step_record(context):
    world = context.world
    recorder = PredictionRecorder(world.predicted_and_running_replicas, world.target.clock,
                                  look_ahead=world.look_ahead_seconds())
    world.notes["recorder"] = recorder
    world.add_duty(recorder.observe, on="changes")


@when("predictions are recorded for another {for_:Duration}")
def step_record_more(context, for_):
    context.world.poller.with_interval(TRACE_POLL).hold(for_)


def _summary(context, since: float | None = None, minimum: int = MIN_SAMPLES) -> AccuracySummary:
    """The suite's own accuracy over matured predictions whose outcome came at or after `since`."""
    recorder = context.world.notes["recorder"]
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
    calibrated = context.world.learning_status().get("lastCalibration")  # on the cluster's clock
    since = parse_time(calibrated) - context.world.target.server_offset if calibrated else None
    recent = _summary(context, since=since, minimum=MIN_SINCE_CALIBRATION) if calibrated else _summary(context)
    return _summary(context), recent


@then("the measured prediction accuracy meets")
def step_thresholds(context):
    whole, recent = _in_controller_windows(context)
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
    samples = world.notes["recorder"].aligned()
    directory = world.target.settings.artifacts / world.namespace
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "accuracy.txt").write_text(_summary(context).table() + "\n")
    csv_path = write_csv(directory / "accuracy.csv", samples)
    png_path = write_plot(directory / "accuracy.png", samples, f"{world.scaler_name()}: predicted vs actual replicas")
    for path in (csv_path, png_path):
        assert_that(path.stat().st_size, greater_than_or_equal_to(1), f"{path} should not be empty")
    print(f"accuracy report: {directory}")


@when("the GPU cache demand, shared by the inference pods, follows this trace, {phase:Duration} per phase")
def step_demand_trace(context, phase):
    world = context.world
    demand = world.shared_demand()
    for row in context.table:
        start, end = parse_demand(row["demand"])
        for level in ramp(start, end, phase, DEMAND_STEP):
            demand.set(level)
            world.poller.with_interval(TRACE_POLL).hold(DEMAND_STEP)
