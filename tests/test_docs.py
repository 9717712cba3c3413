"""The docs say what the code does: the step catalogue is current, the settings table lists every setting."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT

from support.settings import _KNOWN_KEYS


def test_the_step_catalogue_is_generated_from_the_current_step_definitions():
    done = subprocess.run([sys.executable, "scripts/step_catalogue.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_every_step_definition_is_in_the_catalogue():
    catalogue = (ROOT / "docs" / "steps.md").read_text()
    patterns = re.findall(r'@(?:given|when|then|step)\((?:\'|")(.+?)(?:\'|")\)', "".join(
        p.read_text() for p in (ROOT / "steps").glob("*.py")))
    assert patterns
    for pattern in patterns:
        readable = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: f"<{m.group(1).rstrip('_')}>", pattern)
        assert readable.replace("\\'", "'") in catalogue, pattern


def test_the_readme_settings_table_lists_exactly_the_settings():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    assert documented == set(_KNOWN_KEYS), (f"undocumented: {sorted(set(_KNOWN_KEYS) - documented)}, "
                                            f"documented but unknown: {sorted(documented - set(_KNOWN_KEYS))}")
