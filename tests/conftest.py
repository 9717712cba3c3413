"""Shared fixtures for the tests that run the suite as a user would: a served embedded cluster
(`python -m support.localcluster serve`, real time) standing in for a real cluster, and behave
in a subprocess. Waits here poll in real time, always with a deadline, because the subprocesses
run on the real clock."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import kubernetes
import pytest
from hypothesis import settings as hypothesis_settings

from support.cluster import is_ready

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BEHAVE = str(Path(sys.executable).with_name("behave"))
FEATURE = "features/scaling.feature"
MANAGED_SELECTOR = "app.kubernetes.io/managed-by=budaiscaler-spec"
SERVE_SPEED = 20

# Property tests and fuzzing: a fixed, derandomized profile for every pytest run (CI), and a long
# random one on demand (`make properties`, or `pytest --hypothesis-profile=long`).
hypothesis_settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None, database=None,
                                     print_blob=True)
hypothesis_settings.register_profile("long", max_examples=2000, deadline=None)
# make mutation runs the property tests once per mutant of a function they cover: fewer examples, same seed.
hypothesis_settings.register_profile("mutation", derandomize=True, max_examples=10, deadline=None, database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
MUTATION_EXAMPLES = 10


def pytest_collection_modifyitems(items):
    """Under the mutation profile a property test's own ``@settings(max_examples=...)`` is capped too: the
    profile alone cannot lower what a test sets itself, and make mutation runs each test once per mutant."""
    if os.environ.get("HYPOTHESIS_PROFILE") != "mutation":
        return
    for item in items:
        test = getattr(item, "obj", None)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is not None and own.max_examples > MUTATION_EXAMPLES:
            test._hypothesis_internal_use_settings = hypothesis_settings(own, max_examples=MUTATION_EXAMPLES)


def wait_until(probe: Callable[[], object], timeout: float, what: str, interval: float = 0.1):
    """Poll `probe` in real time until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 (a probe may fail until the thing exists)
            last_error = error
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}"
                                 + (f" (last error: {last_error})" if last_error else ""))
        time.sleep(interval)


def scenario_line(title: str, feature: str = FEATURE) -> int:
    """The line of a scenario in the feature file, so tests follow the file when it changes."""
    for number, line in enumerate((ROOT / feature).read_text().splitlines(), start=1):
        if line.strip().startswith("Scenario") and line.strip().endswith(title):
            return number
    raise LookupError(f"no scenario {title!r} in {feature}")


def example_row_line(examples: str, first_cell: str, feature: str = FEATURE) -> int:
    """The line of one Examples row (found by its Examples title and its first cell): behave runs that row alone."""
    in_examples = False
    for number, line in enumerate((ROOT / feature).read_text().splitlines(), start=1):
        text = line.strip()
        if text.startswith("Examples"):
            in_examples = text.endswith(examples)
        elif in_examples and text.startswith("|") and text.strip("|").split("|")[0].strip() == first_cell:
            return number
    raise LookupError(f"no row starting {first_cell!r} in the Examples {examples!r} of {feature}")


def clean_env(tmpdir: Path | None = None) -> dict[str, str]:
    """The environment without the variables that would steer the suite (settings come from -D only).

    `tmpdir` becomes TMPDIR: the official client caches API discovery there per server URL, and a stale
    cache from an earlier cluster on the same port must not leak into a test (nor litter /tmp)."""
    steering = {"KUBECONFIG", "NAMESPACE", "CLEANUP"}
    env = {k: v for k, v in os.environ.items() if k not in steering and not k.startswith("BUDSPEC_")}
    env["PYTHONUNBUFFERED"] = "1"
    if tmpdir is not None:
        tmpdir.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(tmpdir)
    return env


def behave_command(*args: str, artifacts: Path) -> list[str]:
    """behave with reports and diagnostics kept out of the repository."""
    return [BEHAVE, "--no-junit", "-f", "plain", "-D", f"artifacts={artifacts}",
            "-D", f"reports={artifacts.parent / 'reports'}", *args]


def run_behave(*args: str, artifacts: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(behave_command(*args, artifacts=artifacts), cwd=ROOT,
                          env=clean_env(artifacts.parent / "tmp"), capture_output=True, text=True, timeout=timeout)


def interruptible() -> None:
    """Popen's preexec_fn: Ctrl-C (SIGINT) reaches the child as it would from a terminal, also when this
    run was started in the background, where a shell without job control ignores SIGINT and every child
    inherits that (Python then installs no KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_behave(*args: str, artifacts: Path, log: Path) -> subprocess.Popen:
    """behave in the background; stdout and stderr go to `log` (a pipe could fill and block it)."""
    with open(log, "w") as sink:
        return subprocess.Popen(behave_command(*args, artifacts=artifacts), cwd=ROOT,
                                env=clean_env(artifacts.parent / "tmp"), stdout=sink, stderr=subprocess.STDOUT,
                                text=True, preexec_fn=interruptible)


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a subprocess we started (by its own handle) and reap it; kill if it will not go."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


@dataclass
class ServedCluster:
    process: subprocess.Popen
    kubeconfig: Path
    log: Path

    def core(self) -> kubernetes.client.CoreV1Api:
        api = kubernetes.config.new_client_from_config(config_file=str(self.kubeconfig))
        return kubernetes.client.CoreV1Api(api)

    def namespaces(self, label_selector: str | None = None) -> dict[str, dict]:
        """Namespace name -> labels, through the official client."""
        items = self.core().list_namespace(label_selector=label_selector).items
        return {n.metadata.name: dict(n.metadata.labels or {}) for n in items}

    def output(self) -> str:
        return self.log.read_text()

    def namespaces_once_terminated(self, timeout: float = 10) -> dict[str, dict]:
        """Namespace name -> labels once none is Terminating: a deleted namespace goes when its content
        (a BudAIScaler's finalizer included) is gone, a moment after the suite asked."""
        def settled():
            items = self.core().list_namespace().items
            if any((n.status.phase if n.status else None) == "Terminating" for n in items):
                return None
            return {n.metadata.name: dict(n.metadata.labels or {}) for n in items}

        return wait_until(settled, timeout, "the deleted namespaces to finish terminating")


def serve_cluster(directory: Path, *extra: str) -> ServedCluster:
    """Start `python -m support.localcluster serve` and wait (bounded) until it answers."""
    kubeconfig, log = directory / "kubeconfig", directory / "serve.log"
    with open(log, "w") as sink:
        process = subprocess.Popen([PYTHON, "-m", "support.localcluster", "serve", "--port", "0",
                                    "--speed", str(SERVE_SPEED), "--kubeconfig", str(kubeconfig), *extra],
                                   cwd=ROOT, env=clean_env(directory / "tmp"), stdout=sink,
                                   stderr=subprocess.STDOUT)
    served = ServedCluster(process, kubeconfig, log)
    try:
        def answering():
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode}: {log.read_text()}")
            if not kubeconfig.is_file():
                return False
            api = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
            try:
                kubernetes.client.VersionApi(api).get_code()  # /version answers
                pods = kubernetes.client.CoreV1Api(api).list_namespaced_pod("budaiscaler-system").items
                return any(is_ready(api.sanitize_for_serialization(p)) for p in pods)  # the controller is Ready
            finally:
                api.close()

        wait_until(answering, 20, "the served embedded cluster to answer /version with its controller ready")
    except BaseException:
        stop_process(process)
        raise
    return served


@pytest.fixture(scope="session", autouse=True)
def run_reports_out_of_the_repository(tmp_path_factory):
    """behave runs that inherit the environment write their run reports to a temporary folder."""
    saved = os.environ.get("BUDSPEC_REPORTS")
    os.environ["BUDSPEC_REPORTS"] = str(tmp_path_factory.mktemp("run-reports"))
    yield
    if saved is None:
        os.environ.pop("BUDSPEC_REPORTS", None)
    else:
        os.environ["BUDSPEC_REPORTS"] = saved


@pytest.fixture(scope="module")
def served_cluster(tmp_path_factory):
    """One embedded cluster served in real time (x20) for the module; terminated at the end."""
    served = serve_cluster(tmp_path_factory.mktemp("served"))
    try:
        yield served
    finally:
        stop_process(served.process)


@pytest.fixture(scope="module")
def private_tempdir(tmp_path_factory):
    """The official client caches API discovery in the temp dir per server URL (/tmp/osrcp-*.json): keep
    it away from /tmp and from other runs, whose cluster may have used the same port."""
    saved = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("tempdir"))
    yield
    tempfile.tempdir = saved


@pytest.fixture
def serve_program():
    """serve_program(module, **create_server_kwargs) -> an httpx client on a fresh mock at 127.0.0.1:<free port>."""
    import threading

    import httpx

    started = []

    def start(program, **kwargs):
        server = program.create_server("127.0.0.1", 0, **kwargs)
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        client = httpx.Client(base_url=f"http://127.0.0.1:{server.server_address[1]}")
        started.append((server, client))
        return client

    yield start
    for server, client in started:
        client.close()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def cluster():
    """An embedded cluster without the controller, for API tests."""
    from support.localcluster import LocalCluster

    with LocalCluster(run_controller=False) as running:
        yield running


@pytest.fixture(scope="module")
def api_client(cluster):
    return kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig_path))


def _typed_api(name: str):
    """A module fixture: the official client's typed API `name` on the module's `api_client`."""
    @pytest.fixture(scope="module")
    def typed(api_client):
        return getattr(kubernetes.client, name)(api_client)
    return typed


core = _typed_api("CoreV1Api")
apps = _typed_api("AppsV1Api")
custom = _typed_api("CustomObjectsApi")
autoscaling = _typed_api("AutoscalingV2Api")


_namespace_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def fresh_namespace(core):
    """fresh_namespace(prefix) -> the name of a new, empty namespace `<prefix>-<n>` on the module's cluster."""
    def create(prefix: str) -> str:
        name = f"{prefix}-{next(_namespace_numbers)}"
        core.create_namespace({"metadata": {"name": name}})
        return name
    return create
