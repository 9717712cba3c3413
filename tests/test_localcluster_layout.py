"""The embedded cluster's layout holds: modules of ~400 lines at most, no import cycle between its
modules, and a node that reaches the cluster only through `access` (so the real control plane's
node agent runs the same code against kube-apiserver)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "support" / "localcluster"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The support.localcluster modules `name` imports at its top level (`from pkg import sub` counts as sub)."""
    found = set()
    for node in ast.parse(MODULES[name].read_text()).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                      for alias in node.names}
    return {module for module in found if module in MODULES}


def test_no_module_is_over_the_line_limit():
    long = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {name: lines for name, lines in long.items() if lines > MAX_LINES} == {}


def test_no_import_cycle():
    graph = {name: imports_of(name) - {name} for name in MODULES}
    cycles = []

    def visit(name: str, path: list[str], done: set[str]) -> None:
        if name in path:
            cycles.append(path[path.index(name):] + [name])
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            if not name.startswith(target + "."):  # a module's own package is imported first anyway
                visit(target, path + [name], done)
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        visit(name, [], done)
    assert cycles == []


def test_the_node_reaches_the_cluster_only_through_access():
    node = {name for name in MODULES if name.startswith("support.localcluster.node")}
    allowed = node | {"support.localcluster.access", "support.localcluster.errors", "support.localcluster"}
    reached = {name: imports_of(name) - allowed for name in node}
    assert {name: sorted(other) for name, other in reached.items() if other} == {}
