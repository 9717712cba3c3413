"""behave hooks: settings, the target, a namespace per scenario, cleanup, diagnostics, known gaps.

Everything of substance lives in support/; this file only wires it to behave's lifecycle.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from contextlib import contextmanager

from behave.tag_matcher import ActiveTagMatcher

from support import diagnostics, progress
from support.gaps import GapLedger
from support.report.hooks import RunReporter
from support.report.redact import Redactor, shared as shared_redactor
from support.scenario import Scenario
from support.scenario_time import starting_times
from support.settings import SettingsError, from_sources
from support.target import Target


def before_all(context):
    _sigterm_aborts_like_ctrl_c()
    try:
        context.settings = from_sources(context.config.userdata)
        context.target = Target.start(context.settings)
    except (SettingsError, RuntimeError) as error:
        # a clear one-line reason and exit 2, not a traceback (behave would turn SystemExit into a hook error)
        _cannot_start(str(error))
    except Exception:  # a bug (e.g. the controller does not import): the traceback is the reason
        _cannot_start(traceback.format_exc())
    shared_redactor().learn(Redactor.for_client(context.target.cluster.api_client.configuration))
    banner = shared_redactor().text(context.target.banner())
    print(banner)
    context.add_cleanup(progress.install(context.settings.progress), layer="testrun")
    context.reporter = RunReporter.start(context.settings.reports, banner,
                                         gaps_apart=context.settings.expected_profile == "as-built")
    context.active_tags = ActiveTagMatcher({
        "target": context.settings.target, "model": context.settings.model,
        "controller_restart": "allowed" if context.settings.may_restart_controller else "refused",
        **context.target.optional_apis()})
    context.gaps = GapLedger(context.settings.expected_profile, context.settings.quirks)


def _cannot_start(reason: str) -> None:
    print(f"\nbudaiscaler-spec cannot start: {shared_redactor().text(reason)}\n", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(2)


def before_scenario(context, scenario):
    context.world = None
    if context.active_tags.should_exclude_with(scenario.effective_tags):
        scenario.skip(context.active_tags.exclude_reason)
        return
    for day, hour, minute in starting_times(scenario.effective_tags):
        context.target.advance_clock_to(day, hour, minute)
    context.world = Scenario.begin(context.target, scenario.feature.filename.rsplit("/", 1)[-1].removesuffix(".feature"))
    context.reporter.scenario_started(context.world)


def after_scenario(context, scenario):
    world = getattr(context, "world", None)
    if world is None:
        context.reporter.scenario_ended(scenario, None)
        return
    context.world = None
    failed = scenario.status.name in ("failed", "error", "hook_error", "cleanup_error")
    context.gaps.record(scenario, failed)
    policy = context.settings.cleanup
    keep = policy == "never" or (policy == "on-success" and failed)
    diagnostics_files = []
    with _interrupts_held():
        try:
            if failed:
                diagnostics_files = _save_diagnostics(context, world, scenario)
        finally:
            try:
                context.reporter.scenario_ended(scenario, world, diagnostics_files)
            finally:
                print(world.end(keep=keep))


def after_all(context):
    target = getattr(context, "target", None)
    if target is not None:
        target.stop()
    reporter = getattr(context, "reporter", None)
    if reporter is not None:
        page = reporter.finish()
        sys.__stdout__.write(f"report: {page or reporter.run.folder}\n")
    gaps = getattr(context, "gaps", None)
    if gaps is not None and gaps.report():
        sys.__stdout__.write(gaps.report() + "\n")  # after_all output is otherwise captured and dropped


def _save_diagnostics(context, world, scenario):
    directory = context.settings.artifacts / world.namespace
    files = diagnostics.collect(world.cluster, world.namespace, context.settings.controller_namespace, directory)
    print(f"scenario failed; scaler state: {diagnostics.summary(world.cluster, world.namespace)}")
    print(f"diagnostics written to {directory} ({', '.join(f.name for f in files)})")
    return files


@contextmanager
def _interrupts_held():
    """A second Ctrl-C or SIGTERM during cleanup waits until the cleanup is done, then interrupts."""
    received = []
    handlers = {sig: signal.signal(sig, lambda signum, frame: received.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if received:
            raise KeyboardInterrupt(f"signal {received[0]} during cleanup")


def _sigterm_aborts_like_ctrl_c():
    """behave cleans up after Ctrl-C (KeyboardInterrupt) but knows nothing of SIGTERM: treat both alike."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupt)
