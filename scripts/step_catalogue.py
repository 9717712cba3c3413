#!/usr/bin/env python3
"""The step catalogue (docs/steps.md), generated from the step definitions in steps/.

    python scripts/step_catalogue.py > docs/steps.md     (or: make docs)
    python scripts/step_catalogue.py --check              exit 1 if docs/steps.md is out of date

Every sentence the features may use, grouped by step module, with the keywords it
takes and its placeholders in words.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "docs" / "steps.md"
PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")
TYPES = {None: "text", "d": "a whole number", "f": "a number", "w": "a word",
         "Duration": "a duration, e.g. 90 seconds", "Percent": "a percentage, e.g. 85%"}


def definitions() -> dict[str, list[dict]]:
    """Step module -> its step functions, each with the sentences (keyword, pattern) it answers."""
    from behave.runner_util import exec_file
    from behave.step_registry import registry

    registry.clear()
    for path in sorted((ROOT / "steps").glob("*.py")):
        exec_file(str(path), {})
    functions: dict[tuple[str, int], dict] = {}
    for keyword, steps in registry.steps.items():
        for step in steps:
            code = step.func.__code__
            entry = functions.setdefault((code.co_filename, code.co_firstlineno), {
                "module": Path(code.co_filename).name, "doc": (step.func.__doc__ or "").strip(), "sentences": []})
            entry["sentences"].append((keyword.capitalize(), step.pattern))
    modules: dict[str, list[dict]] = {}
    for (_, line), entry in sorted(functions.items(), key=lambda item: (item[1]["module"], item[0][1])):
        modules.setdefault(entry["module"], []).append(entry)
    return modules


def module_summary(module: str) -> str:
    text = (ROOT / "steps" / module).read_text()
    match = re.match(r'\s*"""(.+?)(?:\n|""")', text)
    return match.group(1).strip() if match else ""


def readable(pattern: str) -> str:
    """'the desired replicas reach {count:d} within {within:Duration}' -> '... reach <count> within <within>'."""
    return PLACEHOLDER.sub(lambda m: f"<{m.group(1).rstrip('_')}>", pattern)


def placeholders(patterns: list[str]) -> list[str]:
    seen = {}
    for pattern in patterns:
        for name, kind in PLACEHOLDER.findall(pattern):
            seen.setdefault(name.rstrip("_"), TYPES.get(kind or None, kind))
    return [f"`<{name}>` {kind}" for name, kind in seen.items()]


def render() -> str:
    modules = definitions()
    lines = ["# Step catalogue", "",
             "Every sentence the features can use, generated from `steps/` by "
             "`python scripts/step_catalogue.py` (`make docs`); CI fails when this file is out of date.",
             "Placeholders are written `<name>`. See [writing-scenarios.md](writing-scenarios.md) for how to "
             "add a sentence.", ""]
    for module, entries in modules.items():
        lines += [f"## {module}", "", module_summary(module), ""]
        for entry in entries:
            keywords = {}
            for keyword, pattern in entry["sentences"]:
                keywords.setdefault(pattern, []).append(keyword)
            for pattern, words in keywords.items():
                lines.append(f"- **{'/'.join(sorted(set(words), key=['Given', 'When', 'Then', 'Step'].index))}** "
                             f"{readable(pattern)}")
            details = placeholders(list(keywords)) + ([entry["doc"]] if entry["doc"] else [])
            for detail in details:
                lines.append(f"  - {detail}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/steps.md is not current")
    args = parser.parse_args()
    text = render()
    if not args.check:
        sys.stdout.write(text)
        return 0
    if CATALOGUE.is_file() and CATALOGUE.read_text() == text:
        return 0
    print(f"{CATALOGUE.relative_to(ROOT)} is out of date: run `make docs` and commit it", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
