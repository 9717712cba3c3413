"""Fuzzing what people type (hypothesis): settings, manifests, BudAIScaler objects and the phrases
of the features. Bad input fails with the suite's own clear error (SettingsError, ManifestError,
ValueError naming the fix), never with a stray exception, and what is accepted is usable."""

from __future__ import annotations

import copy
import math
import re
import string

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from support.localcluster import crd_manifest, schema
from support.localcluster.errors import ApiError
from support.manifests import ManifestError, load_manifests
from support.phrases import parse_duration, parse_percent
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.scaling_context import ScalingContext
from support.reference.spec import ScalerSpec, validate
from support.settings import CLEANUP_POLICIES, MODELS, TARGETS, SettingsError, from_sources

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=True) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)

# -- settings -----------------------------------------------------------------------------------

SETTING_KEYS = ["target", "context", "kubeconfig", "namespace", "cleanup", "time_scale", "model", "quirks", "poll_interval",
                "artifacts", "controller_namespace", "restart_controller"]
SETTING_VALUES = st.sampled_from(["", "local", "cluster", "contract", "as-built", "always", "never", "on-success",
                                  "1", "0", "-1", "2.5", "nan", "inf", "-inf", "1e400", "yes", "no", "default",
                                  "team-", "Team", "a" * 70, "budaiscaler-system", "x y", "tolerance-as-percent",
                                  "tolerance-as-percent,llm-metrics-zero", ","]) | st.text(max_size=10)
ENV_KEYS = ["BUDSPEC_TARGET", "BUDSPEC_CONTEXT", "KUBECONFIG", "NAMESPACE", "CLEANUP", "BUDSPEC_TIME_SCALE",
            "BUDSPEC_MODEL", "BUDSPEC_QUIRKS", "BUDSPEC_ARTIFACTS"]


@given(userdata=st.dictionaries(st.sampled_from(SETTING_KEYS) | st.text(max_size=6), SETTING_VALUES, max_size=4),
       env=st.dictionaries(st.sampled_from(ENV_KEYS), SETTING_VALUES, max_size=4))
def test_settings_are_usable_or_refused_with_a_settings_error(userdata, env):
    try:
        chosen = from_sources(userdata, env=env)
    except SettingsError as error:
        assert str(error), "a refusal must say what to do"
        return
    assert chosen.target in TARGETS and chosen.model in MODELS and chosen.cleanup in CLEANUP_POLICIES
    for name in ("time_scale", "poll_interval"):
        value = getattr(chosen, name)
        assert math.isfinite(value) and value > 0, f"{name} accepted as {value!r}"
    for name in (chosen.namespace, chosen.namespace_prefix):
        assert name is None or re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name), f"namespace {name!r}"
    chosen.summary()


# -- manifests ----------------------------------------------------------------------------------

@st.composite
def manifest_texts(draw) -> str:
    """YAML files: valid-looking objects with one field replaced, other documents, or noise."""
    document = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "cm", "annotations": {"budaiscaler-spec/program": "vllm_sidecar.py"}},
                "data": {"k": "v"}}
    choice = draw(st.integers(0, 3))
    if choice == 0:
        path = draw(st.sampled_from([("apiVersion",), ("kind",), ("metadata",), ("metadata", "name"),
                                     ("metadata", "namespace"), ("metadata", "annotations"),
                                     ("metadata", "annotations", "budaiscaler-spec/program"), ("data",)]))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = draw(json_values)
        return yaml.safe_dump(document, allow_unicode=True)
    if choice == 1:
        return yaml.safe_dump_all(draw(st.lists(json_values, max_size=3)), allow_unicode=True)
    if choice == 2:
        return draw(st.text(alphabet=string.printable + "é:-{}[]&*!|>'\"%@`", max_size=60))
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n" + draw(st.text(max_size=30))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=manifest_texts(), raw=st.binary(max_size=20), use_raw=st.booleans(),
       namespace=st.sampled_from(["ns-1", "Bad_NS", "", "a" * 64]))
def test_a_manifest_loads_or_fails_with_a_manifest_error(tmp_path, text, raw, use_raw, namespace):
    path = tmp_path / "fuzzed.yaml"
    if use_raw:
        path.write_bytes(raw)
    else:
        path.write_text(text, encoding="utf-8")
    try:
        documents = load_manifests(path, namespace=namespace)
    except ManifestError as error:
        assert str(error), "a refusal must say what is wrong"
        return
    for document in documents:
        assert document["metadata"]["namespace"] == namespace
        assert isinstance(document["metadata"]["name"], str) and document["metadata"]["name"]


# -- BudAIScaler objects the API server admits, as the controller reads them -------------------

CRD_SCHEMA = crd_manifest()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
VALID_SCALER = {
    "apiVersion": "scaler.bud.studio/v1alpha1", "kind": "BudAIScaler", "metadata": {"name": "s", "namespace": "ns"},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm"},
             "minReplicas": 1, "maxReplicas": 5, "scalingStrategy": "BudScaler",
             "metricsSources": [{"metricSourceType": "pod", "targetMetric": "m", "targetValue": "70", "port": "9000"}],
             "behavior": {"scaleUp": {"stabilizationWindowSeconds": 30, "tolerance": "0.1", "maxScaleRate": "2",
                                      "policies": [{"type": "Pods", "value": 2, "periodSeconds": 30}],
                                      "startingPods": {"startingPodWeight": "0.5", "maxStartingPods": 1}},
                          "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Min"}},
             "gpuConfig": {"enabled": True, "gpuMemoryThreshold": 80},
             "costConfig": {"enabled": True, "budgetPerHour": "3"},
             "predictionConfig": {"enabled": True, "lookAheadMinutes": 5, "enableLearning": True},
             "scheduleHints": [{"name": "h", "cronExpression": "0 9 * * 1-5", "targetReplicas": 3,
                                "duration": "2h"}]},
}


def _paths(value, prefix=()):
    found = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found.append((*prefix, key))
        found.extend(_paths(item, (*prefix, key)))
    return found


STRINGS = st.sampled_from(["", "0", "-1", "0.5", "70", "1e309", "nan", "abc", "90s", "1h30m", "5m", "*/5 * * * *",
                           "61 25 * * *", "Pods", "Percent", "Max", "Min", "Disabled", "KPA", "HPA", "10%", "1k",
                           "500m", "StatefulSet"]) | st.text(max_size=8)


def _like(value) -> st.SearchStrategy:
    """Mostly a value of the same JSON type (so the schema admits it), sometimes anything."""
    if isinstance(value, bool):
        same = st.booleans()
    elif isinstance(value, int):
        same = st.integers(-5, 10**6)
    elif isinstance(value, str):
        same = STRINGS
    else:
        same = json_values
    return st.one_of(same, same, same, json_values)


@settings(suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data(), as_built=st.booleans())
def test_every_admitted_scaler_can_be_read_by_the_controller(data, as_built):
    scaler = copy.deepcopy(VALID_SCALER)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(_paths(scaler["spec"])), label="path")
        parent = scaler["spec"]
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = data.draw(_like(parent[path[-1]]), label="value")
        except (KeyError, IndexError, TypeError):
            pass
    if data.draw(st.booleans(), label="annotations"):
        scaler["metadata"]["annotations"] = {
            f"scaler.bud.studio/{data.draw(st.sampled_from(['max-scale-up-rate', 'scale-up-tolerance', 'scale-down-cooldown', 'panic-threshold']))}":
            data.draw(st.sampled_from(["2", "abc", "", "30s", "-1", "1e309", "nan"]))}
    try:
        admitted = schema.admit(CRD_SCHEMA, scaler, "BudAIScaler.scaler.bud.studio", "s")
    except ApiError:
        assume(False)
    spec = ScalerSpec.from_object(admitted)
    problem = validate(spec)
    assert problem is None or isinstance(problem, str)
    ScalingContext.build(spec, spec.annotations, AS_BUILT if as_built else CONTRACT)


# -- the phrases of the features ------------------------------------------------------------------

DURATION_PATTERN = r"\d+(?:\.\d+)?\s+(?:seconds?|minutes?|hours?)"   # steps/_types.py
PERCENT_PATTERN = r"\d+(?:\.\d+)?%"


def _types_patterns() -> tuple[str, str]:
    source = (__import__("pathlib").Path(__file__).resolve().parents[1] / "steps" / "_types.py").read_text()
    found = re.findall(r'@with_pattern\(r"([^"]+)"\)', source)
    return found[0], found[1]


def test_the_step_types_use_the_patterns_fuzzed_here():
    assert _types_patterns() == (DURATION_PATTERN, PERCENT_PATTERN)


phrase_texts = st.text(alphabet="0123456789 .%smhinuteocdrx-", max_size=16) | st.from_regex(DURATION_PATTERN,
                                                                                            fullmatch=True)


@given(text=phrase_texts)
def test_a_duration_phrase_parses_when_the_step_pattern_takes_it_and_says_how_to_write_it_otherwise(text):
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        assert "write e.g." in str(error)
        assert not re.fullmatch(DURATION_PATTERN, text), f"the step pattern takes {text!r} but the parser refuses it"
        return
    assert math.isfinite(seconds) and seconds >= 0


@given(text=st.text(alphabet="0123456789 .%-e", max_size=10) | st.from_regex(PERCENT_PATTERN, fullmatch=True))
def test_a_percent_phrase_parses_when_the_step_pattern_takes_it_and_says_how_to_write_it_otherwise(text):
    try:
        value = parse_percent(text)
    except ValueError as error:
        assert "write e.g." in str(error)
        assert not re.fullmatch(PERCENT_PATTERN, text), f"the step pattern takes {text!r} but the parser refuses it"
        return
    assert math.isfinite(value) and value >= 0
