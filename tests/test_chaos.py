"""Chaos on the embedded cluster (`-D chaos=...`): the faults are seeded, the clients retry what a
well-behaved client retries, and chaos never turns a failure into a pass.

The matrix runs two scaling scenarios under each fault alone: the correct model passes them, a
model that never scales down (tests/mutants) still fails the scale-down scenario on its assertion,
every namespace the suite created is deleted, and the run says what the chaos injected.
"""

from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from hamcrest import assert_that, equal_to

from behave_runs import run_behave, spec_scenarios
from support.chaos import FAULTS, ChaosError, ChaosPlan, parse_chaos
from support.kube.retry import ATTEMPTS, WellBehavedRetry, well_behaved
from support.localcluster.apiserver.request import Request
from support.localcluster.chaos import ApiFaults

SCALE_UP = "Scale-up when GPU cache usage rises above the target [usage=85%]"
SCALE_DOWN = "Scale-down when the load falls [busy=85%, quiet=20%]"
MUTANT = "never-scale-down"  # fails SCALE_DOWN, leaves SCALE_UP passing
RATE = "0.1"
# what the run's chaos summary must show for each setting (the fault really happened)
SHOWS = {"errors": r"\b(429|500|409) x\d+", "latency": r"latency x\d+", "pod-kill": r"pod-kill x\d+",
         "controller-restart": r"controller-restart x\d+", "watch-drop": r"watch-drop x\d+"}


# -- the setting ------------------------------------------------------------------------

def test_chaos_is_off_unless_asked_for():
    assert parse_chaos(None) is None
    assert parse_chaos("") is None
    assert parse_chaos("off") is None


def test_chaos_names_faults_and_options():
    assert parse_chaos("all") == ChaosPlan(frozenset(FAULTS))
    assert parse_chaos("errors, latency,rate=0.2,seed=7") == ChaosPlan(frozenset({"errors", "latency"}), 0.2, 7)


@pytest.mark.parametrize("text, says", [("quakes", "unknown fault 'quakes'"), ("rate=0.1", "name at least one"),
                                        ("errors,rate=2", "between 0 and 1"), ("errors,seed=x", "whole number"),
                                        ("errors,speed=1", "unknown option")])
def test_bad_chaos_says_how_to_fix_it(text, says):
    with pytest.raises(ChaosError, match=re.escape(says)):
        parse_chaos(text)


# -- API faults -------------------------------------------------------------------------

def _requests(method: str, n: int, path: str = "/apis/apps/v1/namespaces/a/deployments/b") -> list[Request]:
    return [Request(method, path, {}) for _ in range(n)]


def _answers(faults: ApiFaults, requests: list[Request]) -> list[int | None]:
    return [None if (r := faults(request)) is None else r.code for request in requests]


def test_the_same_seed_meets_the_same_faults_and_another_seed_others():
    plan = ChaosPlan(frozenset({"errors"}), 0.2, seed=3)
    first = _answers(ApiFaults(plan), _requests("GET", 300))
    assert first == _answers(ApiFaults(plan), _requests("GET", 300))
    assert first != _answers(ApiFaults(ChaosPlan(plan.faults, 0.2, seed=4)), _requests("GET", 300))
    injected = sum(code is not None for code in first)
    assert 30 <= injected <= 90, f"about 20 % of 300 requests should meet a fault, {injected} did"


def test_a_scenario_namespace_s_random_part_does_not_change_the_faults():
    plan = ChaosPlan(frozenset({"errors"}), 0.3, seed=5)
    one = _answers(ApiFaults(plan), _requests("POST", 100, "/api/v1/namespaces/budspec-scaling-3fa9c1/configmaps"))
    other = _answers(ApiFaults(plan), _requests("POST", 100, "/api/v1/namespaces/budspec-scaling-0b12ee/configmaps"))
    assert one == other and any(one), "two runs of a scenario should meet the same faults whatever its namespace"


def test_reads_meet_500_or_429_updates_409_or_429_other_writes_only_429():
    plan = ChaosPlan(frozenset({"errors"}), 1.0)
    assert set(_answers(ApiFaults(plan), _requests("GET", 200))) == {500, 429}
    assert set(_answers(ApiFaults(plan), _requests("PUT", 200))) == {409, 429}
    for method in ("POST", "PATCH", "DELETE"):
        assert set(_answers(ApiFaults(plan), _requests(method, 100))) == {429}, method


def test_a_429_says_when_to_come_back():
    faults = ApiFaults(ChaosPlan(frozenset({"errors"}), 1.0))
    answers = [faults(r) for r in _requests("POST", 20)]
    assert all(("Retry-After", "1") in a.headers for a in answers)


def test_the_mock_programs_endpoints_are_left_alone():
    faults = ApiFaults(ChaosPlan(frozenset({"errors"}), 1.0))
    assert _answers(faults, _requests("GET", 20, "/api/v1/namespaces/a/pods/p:8000/proxy/metrics")) == [None] * 20
    assert _answers(faults, _requests("GET", 20, "/api/v1/namespaces/a/pods/p/log")) == [None] * 20


def test_latency_delays_some_requests_and_answers_them():
    slept: list[float] = []
    faults = ApiFaults(ChaosPlan(frozenset({"latency"}), 0.5), sleep=slept.append)
    assert _answers(faults, _requests("GET", 100)) == [None] * 100
    assert 20 <= len(slept) <= 80 and all(0.01 <= s <= 0.06 for s in slept)


# -- what the clients retry -------------------------------------------------------------

@pytest.mark.parametrize("method, status, retry_after, retried", [
    ("GET", 429, True, True), ("PATCH", 429, True, True), ("POST", 429, False, False),
    ("GET", 500, False, True), ("GET", 503, False, True), ("POST", 500, False, False), ("PUT", 503, False, False),
    ("PUT", 409, False, False), ("GET", 404, False, False)])
def test_a_well_behaved_client_retries_429_with_retry_after_and_5xx_on_reads(method, status, retry_after, retried):
    assert well_behaved().is_retry(method, status, retry_after) is retried
    assert isinstance(well_behaved(), WellBehavedRetry)


@pytest.mark.parametrize("path, attempts", [("/api/v1/namespaces/a/pods/p:8000/proxy/metrics", 1),
                                            ("/api/v1/namespaces/a/services/s:80/proxy/", 1),
                                            ("/api/v1/namespaces/a/pods/p", 1 + ATTEMPTS)])
def test_a_proxied_5xx_is_the_pods_answer_and_reaches_the_caller_at_once(path, attempts):
    """Retrying a pod's own 500 (a failing metrics endpoint) or 503 (not listening yet) costs real
    seconds of backoff per read and hides from the controller what BudAIScaler's scrape would see."""
    import http.server
    import threading
    import urllib3
    seen: list[str] = []

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        retries = well_behaved()
        retries.backoff_factor = 0  # the count matters here, not the waiting
        pool = urllib3.PoolManager(retries=retries)
        answer = pool.request("GET", f"http://127.0.0.1:{server.server_address[1]}{path}")
    finally:
        server.shutdown()
    assert_that(answer.status, equal_to(503), "the caller sees the last answer as it is")
    assert_that(len(seen), equal_to(attempts), f"requests the server got for {path}")


# -- the matrix: chaos never turns a failure into a pass ------------------------------------

def _run(setting: str, tmp_path, mutant: str | None, *extra: str, runner: list[str] | None = None):
    chosen = [s for s in spec_scenarios("scaling") if s.key in (SCALE_UP, SCALE_DOWN)]
    assert len(chosen) == 2
    if mutant:
        runner = [sys.executable, "tests/mutants/run.py", mutant]
    return run_behave(chosen, tmp_path / f"{setting}-{mutant or 'correct'}.json",
                      "-D", f"chaos={setting},rate={RATE}", "-D", f"artifacts={tmp_path / 'artifacts'}", *extra,
                      runner=runner)


def _namespaces_left(output: str) -> str:
    """From the run's chaos line, which the embedded cluster writes from its own store as it stops."""
    found = re.search(r"^chaos: .*; suite namespaces not deleted: (.+)$", output, re.MULTILINE)
    assert found, f"the run wrote no chaos line:\n{output}"
    return found.group(1)


@pytest.mark.parametrize("setting", FAULTS)
def test_under_chaos_the_correct_model_passes_and_a_broken_one_still_fails(setting, tmp_path):
    with ThreadPoolExecutor(2) as pool:
        correct, broken = pool.map(lambda m: _run(setting, tmp_path, m), (None, MUTANT))
    assert correct.exit_code == 0 and set(correct.statuses.values()) == {"passed"}, \
        f"the correct model should pass under chaos={setting}:\n{correct.output}"
    assert re.search(SHOWS[setting], correct.output), f"chaos={setting} injected nothing:\n{correct.output}"
    assert broken.exit_code != 0, f"behave should exit non-zero with the {MUTANT} model:\n{broken.output}"
    assert broken.statuses.get(SCALE_DOWN) == "failed", broken.output
    assert broken.failed_steps[SCALE_DOWN].endswith(": failed"), \
        f"under chaos={setting} {SCALE_DOWN!r} should fail on its assertion: {broken.failed_steps[SCALE_DOWN]}"
    assert broken.statuses.get(SCALE_UP) == "passed", broken.output
    for run in (correct, broken):
        assert _namespaces_left(run.output) == "none", f"namespaces left under chaos={setting}: {run.output}"


@pytest.mark.parametrize("whose", ["every client", "the suite's client only"])
def test_without_its_retries_the_correct_model_fails_under_errors(whose, tmp_path):
    """The matrix passes because the clients retry, not because the faults miss what matters: with the
    retries off (the suite's and the operator's, or only the suite's) the same run fails, on an injected error."""
    runner = [sys.executable, "tests/no_retries.py", *(["--suite-only"] if whose.endswith("only") else [])]
    plain = tmp_path / "plain.txt"  # behave's JSON keeps no message for a step in error; its plain output does
    run = _run("errors", tmp_path, None, "-f", "plain", "-o", str(plain), runner=runner)
    assert run.exit_code != 0, f"with no retries for {whose} the correct model should fail under chaos=errors:\n" \
                               f"{run.output}"
    passed = {key for key, status in run.statuses.items() if status == "passed"}
    assert passed != {SCALE_UP, SCALE_DOWN}, f"both scenarios passed with no retries for {whose}:\n{run.output}"
    said = "\n".join([*run.errors.values(), run.output, plain.read_text() if plain.exists() else ""])
    assert re.search(r"\((429|500|409)\)|\b(TooManyRequests|InternalError|Conflict)\b", said), \
        f"the run should fail on an injected API error, it said:\n{said}"
    left = re.search(r"^chaos: .*; suite namespaces not deleted: (.+)$", run.output, re.MULTILINE)
    assert left is None or left.group(1) == "none", f"namespaces left with no retries for {whose}: {run.output}"
