"""Every config in configs/ is a BudAIScaler the CRD accepts under strict field validation.

Strict, as `kubectl apply --validate=strict` asks of an API server: a field the schema does
not know is an error (not silently pruned), and so is a field given twice. The schema is
the embedded cluster's CRD (support/localcluster/budaiscaler-crd.yaml), turned into a JSON
Schema that forbids unknown properties, checked with jsonschema (an independent validator,
not the embedded API server's own admission code).
"""
from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CRD = ROOT / "support" / "localcluster" / "budaiscaler-crd.yaml"
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
INT32 = (-(2 ** 31), 2 ** 31 - 1)
OBJECT_META = {  # metav1.ObjectMeta: what a manifest may carry in metadata
    "type": "object", "additionalProperties": False,
    "properties": {
        "name": {"type": "string"}, "generateName": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "ownerReferences": {"type": "array", "items": {"type": "object"}},
        "uid": {"type": "string"}, "resourceVersion": {"type": "string"},
        "generation": {"type": "integer"}, "creationTimestamp": {},
        "deletionTimestamp": {}, "deletionGracePeriodSeconds": {"type": "integer"},
        "managedFields": {"type": "array"}, "selfLink": {"type": "string"},
    },
}


class DuplicateField(yaml.YAMLError):
    pass


class StrictLoader(yaml.SafeLoader):
    """A YAML loader for which a key given twice in one mapping is an error."""


def _strict_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise DuplicateField(f"duplicate field {key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _strict_mapping)


def strict(schema: dict) -> dict:
    """The structural schema with unknown fields forbidden and int32 bounds made explicit."""
    schema = copy.deepcopy(schema)
    if schema.get("type") == "object" and "properties" in schema and \
            "additionalProperties" not in schema and \
            not schema.get("x-kubernetes-preserve-unknown-fields"):
        schema["additionalProperties"] = False
    if schema.get("format") == "int32":
        schema.setdefault("minimum", INT32[0])
        schema.setdefault("maximum", INT32[1])
    for key in ("properties",):
        for name, sub in schema.get(key, {}).items():
            schema[key][name] = strict(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = strict(schema[key])
    if "anyOf" in schema:
        schema["anyOf"] = [strict(s) for s in schema["anyOf"]]
    return schema


def budaiscaler_schema() -> dict:
    crd = yaml.safe_load(CRD.read_text())
    [version] = [v for v in crd["spec"]["versions"] if v["storage"]]
    schema = strict(version["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = OBJECT_META
    schema["properties"]["apiVersion"] = {"const": f"{crd['spec']['group']}/{version['name']}"}
    schema["properties"]["kind"] = {"const": crd["spec"]["names"]["kind"]}
    schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
    return schema


VALIDATOR = jsonschema.Draft7Validator(budaiscaler_schema())


def problems(document: dict) -> list[str]:
    """Every violation, as `<path>: <message>`."""
    return sorted(f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
                  for e in VALIDATOR.iter_errors(document))


def documents(text: str) -> list[dict]:
    return [d for d in yaml.load_all(text, Loader=StrictLoader) if d is not None]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_config_is_valid_under_strict_field_validation(path):
    [scaler] = documents(path.read_text())
    assert problems(scaler) == [], f"{path.name} would be rejected by a strict apply"
    assert "namespace" not in scaler["metadata"], f"{path.name}: the suite places it in a namespace"


def test_every_config_of_the_old_suite_is_here():
    catalogue = {"basic-test", "learning-test", "accuracy-test", "cost-test", "gpu-test", "mock-test",
                 "policy-test", "prediction-test", "schedulehints-test"}
    assert catalogue <= {path.stem for path in CONFIGS}, "a config of the old suite went missing"


# --- the validator can fail ------------------------------------------------------------------------

def cost_test() -> dict:
    [scaler] = documents((ROOT / "configs" / "cost-test.yaml").read_text())
    return scaler


def test_an_unknown_field_is_an_error_naming_it():
    scaler = cost_test()
    scaler["spec"]["gpuConfig"] = {"enabled": True, "dcgmEndpoint": "http://dcgm:9400"}  # README only
    scaler["metadata"]["labelz"] = {}
    assert problems(scaler) == [
        "metadata: Additional properties are not allowed ('labelz' was unexpected)",
        "spec.gpuConfig: Additional properties are not allowed ('dcgmEndpoint' was unexpected)"]


@pytest.mark.parametrize("change, expected", [
    (lambda s: s["spec"]["costConfig"].update(budgetPerHour="three"), "spec.costConfig.budgetPerHour"),
    (lambda s: s["spec"]["costConfig"].update(cloudProvider="oracle"), "spec.costConfig.cloudProvider"),
    (lambda s: s["spec"].update(maxReplicas=0), "spec.maxReplicas"),
    (lambda s: s["spec"].update(maxReplicas=2 ** 31), "spec.maxReplicas"),
    (lambda s: s["spec"].pop("metricsSources"), "spec: 'metricsSources' is a required property"),
    (lambda s: s["spec"]["behavior"]["scaleUp"].update(selectPolicy="Any"),
     "spec.behavior.scaleUp.selectPolicy"),
    (lambda s: s.update(kind="HorizontalPodAutoscaler"), "kind"),
])
def test_values_the_schema_forbids_are_errors(change, expected):
    scaler = cost_test()
    change(scaler)
    found = problems(scaler)
    assert any(p.startswith(expected) for p in found), found


def test_budgets_may_be_integers_or_quantity_strings():
    scaler = cost_test()
    for budget in (3, "3", "2.5", "2500m", "1e1"):
        scaler["spec"]["costConfig"]["budgetPerHour"] = budget
        assert problems(scaler) == [], budget


def test_a_field_given_twice_is_an_error():
    text = (ROOT / "configs" / "cost-test.yaml").read_text().replace(
        "  minReplicas: 1\n", "  minReplicas: 1\n  minReplicas: 2\n")
    with pytest.raises(DuplicateField, match="duplicate field 'minReplicas'"):
        documents(text)
