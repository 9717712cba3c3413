"""Load the suite's manifests (configs/, mocks/) and place them in a scenario's namespace.

Manifests carry no namespace and no Namespace objects: every object lands in the
namespace of the scenario that applies it. A mock program reaches a real cluster
through a ConfigMap annotated `budaiscaler-spec/program: <file>.py` with no data;
loading fills `data[<file>.py]` with the program's source from mocks/servers/, and one
more key per sibling module of mocks/servers/ it imports (mockhttp.py), so that
`python /app/<file>.py` finds them next to it.
`${NAMESPACE}` in any string value becomes the target namespace.

    python -m support.manifests render basic-test --namespace my-ns | kubectl apply -f -
    python -m support.manifests list
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIGS_DIR = ROOT / "configs"
MOCKS_DIR = ROOT / "mocks"
PROGRAMS_DIR = MOCKS_DIR / "servers"
SEARCH_DIRS = (CONFIGS_DIR, MOCKS_DIR)
PROGRAM_ANNOTATION = "budaiscaler-spec/program"
NAMESPACE_PLACEHOLDER = "${NAMESPACE}"
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_PROGRAM_FILE = re.compile(r"[A-Za-z0-9_]+\.py")
_IMPORTED = re.compile(r"^(?:import|from)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


class ManifestError(ValueError):
    """A manifest cannot be found, parsed or placed in a namespace."""


def available() -> list[str]:
    """Short names of every manifest, configs first."""
    return [p.stem for d in SEARCH_DIRS for p in sorted(d.glob("*.yaml"))]


def resolve(name_or_path: str | Path) -> Path:
    """A short name ("basic-test", "simulator") looks in configs/ then mocks/; a path is used as is."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or "\\" in text:
        path = Path(name_or_path)
        if not path.is_file():
            raise ManifestError(f"no manifest file {path}")
        return path
    stem = re.sub(r"\.ya?ml$", "", text)
    for directory in SEARCH_DIRS:
        if (candidate := directory / f"{stem}.yaml").is_file():
            return candidate
    raise ManifestError(f"no manifest named {text!r} in configs/ or mocks/; "
                        f"available: {', '.join(available()) or 'none'}")


def load_manifests(name_or_path: str | Path, *, namespace: str) -> list[dict]:
    """Every object of a manifest file, ready to apply in `namespace`."""
    if not isinstance(namespace, str) or not _DNS_LABEL.fullmatch(namespace):
        raise ManifestError(f"namespace must be a DNS label (lowercase letters, digits, '-'), "
                            f"got {namespace!r}")
    path = resolve(name_or_path)
    objects = []
    for number, document in _documents(path):
        _check(path, number, document)
        obj = _substitute(copy.deepcopy(document), namespace)
        _fill_program(path, number, obj)
        obj["metadata"]["namespace"] = namespace
        objects.append(obj)
    return objects


def program_source(program_file: str) -> str:
    """The source of a mock program in mocks/servers/."""
    if not _PROGRAM_FILE.fullmatch(program_file or ""):
        raise ManifestError(f"program must be a file name like vllm_sidecar.py, got {program_file!r}")
    path = PROGRAMS_DIR / program_file
    if not path.is_file():
        names = ", ".join(p.name for p in sorted(PROGRAMS_DIR.glob("*.py"))
                          if "def create_server(" in p.read_text(encoding="utf-8"))
        raise ManifestError(f"no mock program {program_file!r} in mocks/servers/; available: {names}")
    return path.read_text(encoding="utf-8")


def program_helpers(program_file: str) -> dict[str, str]:
    """{file: source} of the sibling modules of mocks/servers/ a program imports, directly or
    through another sibling: the lines `import X` / `from X import` naming an existing X.py there."""
    helpers: dict[str, str] = {}
    pending = [program_source(program_file)]
    while pending:
        for name in _IMPORTED.findall(pending.pop()):
            file = f"{name}.py"
            if file != program_file and file not in helpers and (PROGRAMS_DIR / file).is_file():
                helpers[file] = (PROGRAMS_DIR / file).read_text(encoding="utf-8")
                pending.append(helpers[file])
    return dict(sorted(helpers.items()))


def program_files(program_file: str) -> dict[str, str]:
    """{file: source} of a program and the sibling modules it imports: a program ConfigMap's data."""
    return {program_file: program_source(program_file), **program_helpers(program_file)}


def program_configmap(program_file: str, *, name: str | None = None) -> dict:
    """A ConfigMap carrying a mock program and the sibling modules it imports, as a pod mounts it at /app.

    The default name is the program's stem with '-' for '_' plus "-program".
    """
    name = name or program_file.removesuffix(".py").replace("_", "-") + "-program"
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "annotations": {PROGRAM_ANNOTATION: program_file}},
            "data": program_files(program_file)}


def load_program(program_file: str) -> ModuleType:
    """Import a mock program from mocks/servers/ (mocks/ is not an installed package).

    mocks/servers/ is on sys.path only while the program loads, so its `import mockhttp`
    resolves as it does next to the program in a pod; the sibling modules are then taken
    out of sys.modules again (the program keeps its references), so that no generic
    top-level name like `mockhttp` stays importable in this process by accident.
    """
    helpers = [file.removesuffix(".py") for file in program_helpers(program_file)]  # validates the name
    module_name = "budspec_mock_" + program_file.removesuffix(".py")
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, PROGRAMS_DIR / program_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(PROGRAMS_DIR))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    finally:
        sys.path.remove(str(PROGRAMS_DIR))
        for helper in helpers:
            sys.modules.pop(helper, None)
    return module


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: the pure-Python one dominated scenario set-up


def _documents(path: Path) -> list[tuple[int, Any]]:
    """(1-based document number, document) for each non-empty document."""
    try:
        documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER))
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path}: not UTF-8 text (byte {exc.start}): a manifest is a YAML file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise ManifestError(f"{path}: YAML syntax error{where}: {problem}") from None
    return [(n, d) for n, d in enumerate(documents, start=1) if d is not None]


def _check(path: Path, number: int, document: Any) -> None:
    where = f"{path}, document {number}"
    if not isinstance(document, dict):
        raise ManifestError(f"{where}: expected a mapping (an object), got {type(document).__name__}")
    for field in ("apiVersion", "kind"):
        if not document.get(field):
            raise ManifestError(f"{where}: missing {field}")
        if not isinstance(document[field], str):
            raise ManifestError(f"{where}: {field} must be a string, got {document[field]!r}")
    metadata = document.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        raise ManifestError(f"{where} ({document['kind']}): missing metadata.name")
    if not isinstance(metadata["name"], str):
        raise ManifestError(f"{where} ({document['kind']}): metadata.name must be a string, got {metadata['name']!r}")
    if document["kind"] == "Namespace":
        raise ManifestError(f"{where}: a Namespace object ({metadata['name']}) is not allowed; "
                            "the suite places every object in the scenario's namespace")
    if "namespace" in metadata:
        raise ManifestError(f"{where} ({document['kind']} {metadata['name']}): metadata.namespace "
                            "must not be set; the suite places every object in the scenario's namespace")


def _substitute(value: Any, namespace: str) -> Any:
    if isinstance(value, str):
        return value.replace(NAMESPACE_PLACEHOLDER, namespace)
    if isinstance(value, dict):
        return {key: _substitute(item, namespace) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, namespace) for item in value]
    return value


def _fill_program(path: Path, number: int, obj: dict) -> None:
    annotations = obj["metadata"].get("annotations") or {}
    if not isinstance(annotations, dict):
        raise ManifestError(f"{path}, document {number}: metadata.annotations must be a mapping of strings")
    program = annotations.get(PROGRAM_ANNOTATION)
    if obj["kind"] != "ConfigMap" or program is None:
        return
    if not isinstance(program, str):
        raise ManifestError(f"{path}, document {number}: annotation {PROGRAM_ANNOTATION} must name a program file, "
                            f"e.g. vllm_sidecar.py")
    try:
        files = program_files(program)
    except ManifestError as exc:
        raise ManifestError(f"{path}, document {number} (ConfigMap {obj['metadata']['name']}): {exc}") from None
    data = obj.get("data") or {}
    if not isinstance(data, dict):
        raise ManifestError(f"{path}, document {number} (ConfigMap {obj['metadata']['name']}): data must be a mapping")
    obj["data"] = {**data, **files}


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (program sources) as readable literal blocks."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def render(name_or_path: str | Path, *, namespace: str) -> str:
    """The loaded objects as one multi-document YAML stream."""
    return yaml.dump_all(load_manifests(name_or_path, namespace=namespace), Dumper=_Dumper,
                         sort_keys=False, explicit_start=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m support.manifests", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    render_cmd = commands.add_parser("render", help="print a manifest ready for kubectl apply -f -")
    render_cmd.add_argument("name", help="short name (basic-test, simulator) or path")
    render_cmd.add_argument("--namespace", "-n", required=True)
    commands.add_parser("list", help="list the short names")
    args = parser.parse_args(argv)
    if args.command == "list":
        print("\n".join(available()))
        return 0
    try:
        sys.stdout.write(render(args.name, namespace=args.namespace))
    except ManifestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
