"""Does the installed BudAIScaler CRD keep every field the spec sets and the controller writes?

A CRD's structural schema prunes unknown fields silently: BudAIScaler's Helm chart ships an
older, hand-written CRD without `predictionConfig.enableLearning`, `spec.scheduleHints`,
`status.learningStatus`... With it installed, learning is off (the Go field reads false) and
scenarios fail for the wrong reason. `pruned_fields` compares the installed schema with the
one the suite expects (the controller-gen CRD, `support/localcluster/budaiscaler-crd.yaml`)
and names every field path the installed one would drop. Pure: schemas in, paths out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import yaml

EXPECTED_CRD = Path(__file__).resolve().parent / "localcluster" / "budaiscaler-crd.yaml"
VERSION = "v1alpha1"
FIX = ("install the controller-gen CRD (BudAIScaler's config/crd/bases/scaler.bud.studio_budaiscalers.yaml, "
       "not the Helm chart's charts/scaler/crds): kubectl apply --server-side -f <that file>")


def schema_of(crd: dict, version: str = VERSION) -> dict:
    """The openAPIV3Schema of `version` in a CRD object (camelCase keys, as the API returns it)."""
    for served in (crd.get("spec") or {}).get("versions") or []:
        if served.get("name") == version:
            return ((served.get("schema") or {}).get("openAPIV3Schema")) or {}
    return {}


def expected_schema() -> dict:
    return schema_of(yaml.safe_load(EXPECTED_CRD.read_text()))


def _keeps_everything(schema: dict) -> bool:
    return bool(schema.get("x-kubernetes-preserve-unknown-fields")) or schema.get("additionalProperties") is True


def _fields(schema: dict, path: str) -> Iterator[tuple[str, dict]]:
    for name, child in (schema.get("properties") or {}).items():
        yield f"{path}.{name}" if path else name, child
    if isinstance(schema.get("items"), dict):
        yield f"{path}[]", schema["items"]
    if isinstance(schema.get("additionalProperties"), dict):
        yield f"{path}{{}}", schema["additionalProperties"]


def pruned_fields(installed: dict, expected: dict, path: str = "") -> list[str]:
    """Field paths `expected` has and `installed` would prune (a missing parent is named once)."""
    if _keeps_everything(installed):
        return []
    installed_fields = dict(_fields(installed, path))
    missing = []
    for field, child in _fields(expected, path):
        if field not in installed_fields:
            missing.append(field)
        else:
            missing += pruned_fields(installed_fields[field], child, field)
    return missing


def stale_crd_message(crd_name: str, missing: list[str], limit: int = 12) -> str:
    shown = ", ".join(missing[:limit]) + (f" and {len(missing) - limit} more" if len(missing) > limit else "")
    return (f"the installed CRD {crd_name} would silently drop fields the spec sets and the controller writes: "
            f"{shown}. It is an older schema (BudAIScaler's Helm chart CRD?): {FIX}")
