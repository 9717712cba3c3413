"""The reference operator is an ordinary API client: no module of it imports the embedded cluster.

Checked on the source (every import statement, also inside functions) and by
importing the package in a fresh interpreter and looking at what got loaded.
"""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPERATOR_MODULES = sorted((ROOT / "support" / "operator").glob("*.py")) + sorted((ROOT / "support" / "kube").glob("*.py")) + [ROOT / "support/reference/operator.py"]
FORBIDDEN = ("support.localcluster", "support.cluster", "support.scenario", "steps")


def imported_names(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_no_operator_module_imports_the_embedded_cluster():
    offenders = {path.name: name for path in OPERATOR_MODULES for name in imported_names(path)
                 if name.startswith(FORBIDDEN)}
    assert len(OPERATOR_MODULES) >= 8, "the operator's modules were not found"
    assert offenders == {}, f"operator modules import the embedded cluster or the suite: {offenders}"


def test_loading_the_operator_loads_no_embedded_cluster_module():
    code = ("import sys, support.operator, support.operator.main, support.reference.operator; "
            "print('\\n'.join(m for m in sys.modules if m.startswith('support.')))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    modules = loaded.stdout.split()
    assert "support.operator.operator" in modules
    assert [m for m in modules if m.startswith(FORBIDDEN)] == []
