"""Loading configs/ and mocks/: namespace placement, program ConfigMaps, ${NAMESPACE},
the wiring of scalers to the pods that serve their metric, errors, and the render CLI."""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from support import manifests
from support.manifests import ManifestError, load_manifests, program_configmap, resolve

CONFIGS = sorted(manifests.CONFIGS_DIR.glob("*.yaml"))
MOCKS = sorted(manifests.MOCKS_DIR.glob("*.yaml"))
CATALOGUE_SCALERS = {  # the old suite's nine configs (seed catalogue): none may be lost or renamed
    "basic-test": "llm-inference-scaler", "learning-test": "learning-scaler",
    "accuracy-test": "accuracy-test-scaler", "cost-test": "cost-aware-scaler",
    "gpu-test": "gpu-aware-scaler", "mock-test": "mock-metrics-scaler",
    "policy-test": "policy-test-scaler", "prediction-test": "prediction-scaler",
    "schedulehints-test": "schedulehints-only-scaler",
}
SPEC_SCALERS = {"hpa-test": "hpa-scaler", "kpa-test": "kpa-scaler",  # added by this spec (strategies)
                "load-test": "llm-inference-scaler"}  # (load: scaling from client requests)
SCALERS = {**CATALOGUE_SCALERS, **SPEC_SCALERS}


def by_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def write(tmp_path, text, name="m.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", CONFIGS + MOCKS, ids=lambda p: p.name)
def test_every_manifest_loads_into_the_given_namespace(path):
    source = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    assert source and all("namespace" not in d["metadata"] and d["kind"] != "Namespace" for d in source)
    objects = load_manifests(path, namespace="budspec-x-1")
    assert len(objects) == len(source)
    assert all(o["metadata"]["namespace"] == "budspec-x-1" for o in objects)


def test_the_configs_are_the_catalogues_scalers_and_the_specs_own():
    names = {}
    for name in SCALERS:
        [scaler] = load_manifests(name, namespace="ns")
        assert (scaler["apiVersion"], scaler["kind"]) == ("scaler.bud.studio/v1alpha1", "BudAIScaler")
        names[name] = scaler["metadata"]["name"]
    assert names == SCALERS
    assert {p.stem for p in CONFIGS} == set(SCALERS)


@pytest.mark.parametrize("name, target", [("learning-test", "0.70"), ("accuracy-test", "0.70"),
                                          ("prediction-test", "0.7")])
def test_pattern_driven_scalers_scrape_the_learning_metrics_server_pods(name, target):
    [scaler] = load_manifests(name, namespace="ns")
    [source] = scaler["spec"]["metricsSources"]
    assert scaler["spec"]["scaleTargetRef"]["name"] == "learning-metrics-server"
    assert (source["targetMetric"], source["targetValue"], source["port"]) == (
        "vllm:gpu_cache_usage_perc", target, "8000")
    server = by_kind(load_manifests("learning-metrics-server", namespace="ns"), "Deployment")
    [container] = server["learning-metrics-server"]["spec"]["template"]["spec"]["containers"]
    assert container["ports"][0]["containerPort"] == 8000


def test_policy_test_endpoint_gets_the_namespace():
    [scaler] = load_manifests("policy-test", namespace="budspec-policy-7")
    assert scaler["spec"]["metricsSources"][0]["endpoint"] == (
        "http://mock-vllm-metrics.budspec-policy-7.svc.cluster.local:8000/json")


@pytest.mark.parametrize("path", MOCKS, ids=lambda p: p.name)
def test_program_containers_mount_a_configmap_filled_with_their_program(path):
    objects = load_manifests(path, namespace="ns")
    configmaps = by_kind(objects, "ConfigMap")
    pods = [d["spec"]["template"]["spec"] for d in by_kind(objects, "Deployment").values()]
    for pod in pods:
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in pod["containers"]:
            if container["image"] != "python:3.11-slim":
                continue
            program = container["command"][1].removeprefix("/app/")
            assert container["command"] == ["python", f"/app/{program}"]
            [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == "/app"]
            data = configmaps[volumes[mount["name"]]["configMap"]["name"]]["data"]
            assert data[program] == (manifests.PROGRAMS_DIR / program).read_text()
            assert data["mockhttp.py"] == (manifests.PROGRAMS_DIR / "mockhttp.py").read_text()
            probe = container["readinessProbe"]
            assert (probe["httpGet"]["path"], probe["initialDelaySeconds"], probe["periodSeconds"]) == (
                "/ready", 2, 5)
            assert probe["httpGet"]["port"] == container["ports"][0]["containerPort"]


def test_the_simulator_runs_the_catalogues_containers():
    objects = load_manifests("simulator", namespace="ns")
    deployment = by_kind(objects, "Deployment")["llm-inference-sim"]
    simulator, sidecar = deployment["spec"]["template"]["spec"]["containers"]
    assert simulator["image"] == "ghcr.io/llm-d/llm-d-inference-sim:v0.6.1"
    assert simulator["ports"] == [{"name": "http", "containerPort": 8000}]
    assert sidecar["ports"] == [{"name": "metrics", "containerPort": 9000}]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in sidecar["env"]}
    assert (env["INITIAL_GPU_CACHE"], env["INITIAL_RUNNING"], env["INITIAL_WAITING"]) == ("85", "5", "10")
    assert env["READY_AFTER_SECONDS"] == {"configMapKeyRef": {"name": "inference-pod-startup",
                                                              "key": "readyAfterSeconds", "optional": True}}, \
        "pods read how long they take to start from an optional ConfigMap (no rollout to change it)"
    service = by_kind(objects, "Service")["llm-inference-sim"]
    assert [p["port"] for p in service["spec"]["ports"]] == [8000, 9000]


def test_resolve_short_names_and_paths(tmp_path):
    assert resolve("basic-test") == manifests.CONFIGS_DIR / "basic-test.yaml"
    assert resolve("simulator") == manifests.MOCKS_DIR / "simulator.yaml"
    assert resolve("simulator.yaml") == manifests.MOCKS_DIR / "simulator.yaml"
    path = write(tmp_path, "")
    assert resolve(path) == path and resolve(str(path)) == path


def test_resolve_lists_what_exists_when_a_name_is_unknown(tmp_path):
    with pytest.raises(ManifestError, match="no manifest named 'basic'.*basic-test.*simulator"):
        resolve("basic")
    with pytest.raises(ManifestError, match="no manifest file"):
        resolve(tmp_path / "missing.yaml")


def test_empty_documents_are_skipped(tmp_path):
    path = write(tmp_path, "---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n")
    assert [o["metadata"] for o in load_manifests(path, namespace="ns")] == [{"name": "a", "namespace": "ns"}]


def test_namespace_substitution_reaches_nested_strings_only(tmp_path):
    path = write(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
                           "data:\n  url: 'http://x.${NAMESPACE}.svc'\n  list: ['${NAMESPACE}', 3]\n")
    [obj] = load_manifests(path, namespace="ns-1")
    assert obj["data"] == {"url": "http://x.ns-1.svc", "list": ["ns-1", 3]}


ERRORS = {
    "syntax": ("apiVersion: v1\nkind: [ConfigMap\n", r"m\.yaml: YAML syntax error at line 3"),
    "not a mapping": ("- a\n- b\n", r"m\.yaml, document 1: expected a mapping"),
    "no apiVersion": ("kind: ConfigMap\nmetadata: {name: a}\n", r"document 1: missing apiVersion"),
    "no kind": ("apiVersion: v1\nmetadata: {name: a}\n", r"document 1: missing kind"),
    "no name": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
                "apiVersion: v1\nkind: Service\nmetadata: {labels: {}}\n",
                r"document 2 \(Service\): missing metadata.name"),
    "namespace set": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: llm-test}\n",
                      r"ConfigMap a\): metadata.namespace must not be set; the suite places every "
                      r"object in the scenario's namespace"),
    "Namespace object": ("apiVersion: v1\nkind: Namespace\nmetadata: {name: llm-test}\n",
                         r"a Namespace object \(llm-test\) is not allowed"),
    "missing program": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\n  annotations:\n"
                        "    budaiscaler-spec/program: nope.py\n",
                        r"ConfigMap p\): no mock program 'nope.py'.*vllm_sidecar.py"),
    "program path": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\n  annotations:\n"
                     "    budaiscaler-spec/program: ../x.py\n", r"program must be a file name"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_manifest_errors_say_what_is_wrong_and_where(tmp_path, case):
    text, message = ERRORS[case]
    with pytest.raises(ManifestError, match=message):
        load_manifests(write(tmp_path, text), namespace="ns")


@pytest.mark.parametrize("namespace", ["", "Bad_NS", "-x", None])
def test_the_namespace_must_be_a_dns_label(namespace):
    with pytest.raises(ManifestError, match="namespace must be a DNS label"):
        load_manifests("basic-test", namespace=namespace)


def test_program_configmap_carries_the_program():
    configmap = program_configmap("learning_metrics.py")
    assert configmap["metadata"] == {"name": "learning-metrics-program",
                                     "annotations": {"budaiscaler-spec/program": "learning_metrics.py"}}
    assert "def create_server" in configmap["data"]["learning_metrics.py"]
    assert list(configmap["data"]) == ["learning_metrics.py", "mockhttp.py"]  # the program, then what it imports
    assert configmap["data"]["mockhttp.py"] == (manifests.PROGRAMS_DIR / "mockhttp.py").read_text()
    assert program_configmap("dcgm_server.py", name="x")["metadata"]["name"] == "x"
    with pytest.raises(ManifestError, match="no mock program"):
        program_configmap("missing.py")


def test_render_cli_prints_yaml_for_kubectl():
    result = subprocess.run([sys.executable, "-m", "support.manifests", "render", "simulator",
                             "--namespace", "demo"], capture_output=True, text=True,
                            cwd=Path(manifests.ROOT), check=True)
    objects = list(yaml.safe_load_all(result.stdout))
    assert [o["kind"] for o in objects] == ["ConfigMap", "Deployment", "Service"]
    assert all(o["metadata"]["namespace"] == "demo" for o in objects)
    assert objects[0]["data"]["vllm_sidecar.py"] == (manifests.PROGRAMS_DIR / "vllm_sidecar.py").read_text()
    assert objects[0]["data"]["mockhttp.py"] == (manifests.PROGRAMS_DIR / "mockhttp.py").read_text()


def test_render_cli_reports_errors_on_stderr(capsys):
    assert manifests.main(["render", "nothing-here", "--namespace", "demo"]) == 2
    assert "error: no manifest named 'nothing-here'" in capsys.readouterr().err
    assert manifests.main(["list"]) == 0
    assert "basic-test" in capsys.readouterr().out


def test_a_program_carries_the_sibling_modules_it_imports_directly_or_through_another(tmp_path, monkeypatch):
    (tmp_path / "prog.py").write_text("import json\nfrom helper_a import VALUE\n"
                                      "def create_server(host, port, env=None, clock=None):\n    return VALUE\n")
    (tmp_path / "helper_a.py").write_text("import os\nimport helper_b\nVALUE = helper_b.VALUE + 1\n")
    (tmp_path / "helper_b.py").write_text("VALUE = 41  # import helper_c in a comment is no import\n")
    (tmp_path / "unused.py").write_text("def create_server(host, port): ...\n")
    monkeypatch.setattr(manifests, "PROGRAMS_DIR", tmp_path)
    assert manifests.program_helpers("prog.py") == {"helper_a.py": (tmp_path / "helper_a.py").read_text(),
                                                    "helper_b.py": (tmp_path / "helper_b.py").read_text()}
    assert list(program_configmap("prog.py")["data"]) == ["prog.py", "helper_a.py", "helper_b.py"]
    # load_program resolves them from the program's directory, and leaves no generic top-level name behind.
    try:
        assert manifests.load_program("prog.py").create_server("h", 0) == 42
        assert "helper_a" not in sys.modules and "helper_b" not in sys.modules
        assert str(tmp_path) not in sys.path
    finally:
        sys.modules.pop("budspec_mock_prog", None)


# -- the programs run as processes, as a pod and by hand ---------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_when_up(port: int, path: str, process: subprocess.Popen, timeout: float = 10.0) -> str:
    """GET http://127.0.0.1:<port><path> once the process serves it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as response:
                return response.read().decode()
        except OSError:
            if process.poll() is not None:
                raise AssertionError(f"the program exited with {process.returncode}: "
                                     f"{process.communicate()[1]}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.parametrize("program", ["vllm_sidecar.py", "metrics_server.py", "dcgm_server.py",
                                     "learning_metrics.py"])
def test_a_program_runs_as_a_pod_runs_it_from_the_files_of_its_configmap(tmp_path, program):
    """`python /app/<program>` with /app holding exactly the ConfigMap's keys, outside the repository."""
    app = tmp_path / "app"
    app.mkdir()
    for name, content in program_configmap(program)["data"].items():
        (app / name).write_text(content)
    port = free_port()
    # -E -s: no PYTHONPATH, no user site; not -I, which would also drop the script's directory from sys.path.
    process = subprocess.Popen([sys.executable, "-E", "-s", str(app / program)], cwd=tmp_path,
                               env={"PORT": str(port), "PATH": "/usr/bin:/bin"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert get_when_up(port, "/ready", process) == "OK"
        assert "# TYPE" in get_when_up(port, "/metrics", process)
    finally:
        process.terminate()
        process.communicate(timeout=5)
