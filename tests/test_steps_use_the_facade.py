"""Steps talk to the scenario facade only, and what they hand on is typed (issue 11 item 2).

A step that reaches the cluster, the target or the settings itself goes round
the facade that makes every target look alike; a value passed between steps
under a string key is a value nobody checks. These tests read steps/ and fail
on either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from support.scenario import Scenario

STEPS = sorted((Path(__file__).resolve().parents[1] / "steps").glob("*.py"))
FORBIDDEN_ATTRIBUTES = {"cluster", "target", "settings", "notes"}
FORBIDDEN_IMPORTS = ("support.cluster", "support.target", "support.settings", "support.mockctl", "support.feed",
                     "kubernetes", "httpx", "urllib3")


def _facade_attributes() -> set[str]:
    return {name for name in dir(Scenario) if not name.startswith("_")} | set(Scenario.__dataclass_fields__)


def _is_world(node: ast.AST) -> bool:
    """`world` or `context.world`."""
    return (isinstance(node, ast.Name) and node.id == "world") or (
        isinstance(node, ast.Attribute) and node.attr == "world"
        and isinstance(node.value, ast.Name) and node.value.id == "context")


def _uses(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            yield node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


@pytest.mark.parametrize("path", STEPS, ids=lambda p: p.name)
def test_steps_reach_neither_the_cluster_nor_the_target_nor_the_settings(path):
    offences = []
    for node in _uses(path):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            offences.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(FORBIDDEN_IMPORTS):
            offences.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            offences += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.startswith(FORBIDDEN_IMPORTS)]
    assert not offences, f"{path.name} goes round the scenario facade (support/scenario.py): {offences}"


@pytest.mark.parametrize("path", STEPS, ids=lambda p: p.name)
def test_steps_use_only_what_the_facade_declares(path):
    known = _facade_attributes()
    unknown = [f"line {node.lineno}: world.{node.attr}" for node in _uses(path)
               if isinstance(node, ast.Attribute) and _is_world(node.value) and node.attr not in known]
    assert not unknown, f"{path.name} uses what support.scenario.Scenario does not declare: {unknown}"


def test_a_step_cannot_hang_an_untyped_value_on_the_scenario():
    world = Scenario(target=None, namespace="ns", owns_namespace=False, mocks=None)  # type: ignore[arg-type]
    world.state.held_replicas = 3
    with pytest.raises(AttributeError):
        world.notes = {"held replicas": 3}  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        world.state.notes = {"held replicas": 3}  # type: ignore[attr-defined]


def test_the_checks_see_an_offence():
    """The AST checks above are not vacuous: a step that reads the target is found."""
    tree = ast.parse("def step(context):\n    context.world.target.clock.now()\n    world.nonsense\n")
    attributes = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute)]
    assert any(n.attr in FORBIDDEN_ATTRIBUTES for n in attributes)
    assert any(_is_world(n.value) and n.attr not in _facade_attributes() for n in attributes)
