"""The control plane's binaries, built from the Go module in controlplane/ and cached.

kube-apiserver and kube-controller-manager come from k8s.io/kubernetes, etcd from
go.etcd.io/etcd/server/v3, pki from controlplane/cmd/pki. They are built once per
(go.mod, go.sum, the module's own sources, Go version, platform) into
`~/.cache/budaiscaler-spec/controlplane/<key>/` ($BUDSPEC_CACHE overrides the root);
GOMODCACHE and GOCACHE stay at Go's defaults, so a warm module cache makes a rebuild
a matter of compiling, and a warm build cache a matter of linking.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULE_DIR = ROOT / "controlplane"
PROGRAMS = {  # binary name -> Go package
    "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
    "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
    "etcd": "./cmd/etcd",
    "pki": "./cmd/pki",
}
MIN_GO = (1, 26)
VERSION_PACKAGE = "k8s.io/component-base/version"


class BuildError(RuntimeError):
    """The binaries cannot be built; the message says why and how to fix it."""


@dataclass(frozen=True)
class Binaries:
    directory: Path

    def path(self, name: str) -> Path:
        return self.directory / name

    def exist(self) -> bool:
        return all(self.path(name).is_file() for name in PROGRAMS)


def cache_root() -> Path:
    return Path(os.environ.get("BUDSPEC_CACHE") or Path.home() / ".cache" / "budaiscaler-spec") / "controlplane"


def go_version(go: str = "go") -> str:
    """`go version`'s output, e.g. 'go version go1.26.8 linux/amd64'; BuildError if Go is missing or too old."""
    if shutil.which(go) is None:
        raise BuildError(f"no Go toolchain ({go!r} not on PATH): install Go {'.'.join(map(str, MIN_GO))} or newer "
                         "(Debian: golang-go from backports, or the toolchain your CI image ships)")
    text = subprocess.run([go, "version"], capture_output=True, text=True, check=True,
                          env=_go_env()).stdout.strip()
    match = re.search(r"go(\d+)\.(\d+)", text)
    if not match or (int(match.group(1)), int(match.group(2))) < MIN_GO:
        raise BuildError(f"{text}: the control plane needs Go {'.'.join(map(str, MIN_GO))} or newer")
    return text


def kubernetes_version(module_dir: Path = MODULE_DIR) -> str:
    """The k8s.io/kubernetes version go.mod pins (e.g. v1.37.2)."""
    match = re.search(r"^\s*k8s\.io/kubernetes (v\d+\.\d+\.\d+)", (module_dir / "go.mod").read_text(), re.MULTILINE)
    if not match:
        raise BuildError(f"{module_dir / 'go.mod'} does not require k8s.io/kubernetes")
    return match.group(1)


def ldflags(version: str) -> str:
    """What hack/lib/version.sh stamps, so `kubectl version` and version skew checks see a real version."""
    major, minor = version.lstrip("v").split(".")[:2]
    stamps = {"gitVersion": version, "gitMajor": major, "gitMinor": minor, "gitTreeState": "clean",
              "buildDate": "1970-01-01T00:00:00Z"}  # fixed, so a rebuild links the same binary
    return " ".join(["-s", "-w"] + [f"-X {VERSION_PACKAGE}.{k}={v}" for k, v in stamps.items()])


def cache_key(module_dir: Path, go: str) -> str:
    digest = hashlib.sha256()
    digest.update(go.encode())
    for path in sorted([module_dir / "go.mod", module_dir / "go.sum", *module_dir.glob("cmd/**/*.go")]):
        digest.update(str(path.relative_to(module_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def locate(module_dir: Path = MODULE_DIR) -> Binaries:
    """Where the binaries for this checkout and Go live (built or not)."""
    return Binaries(cache_root() / cache_key(module_dir, go_version()))


def ensure_built(module_dir: Path = MODULE_DIR, log=print) -> Binaries:
    """The cached binaries, building them first when this checkout's key has none."""
    binaries = locate(module_dir)
    if binaries.exist():
        return binaries
    binaries.directory.parent.mkdir(parents=True, exist_ok=True)
    with open(binaries.directory.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; the second caller finds it done
        if not binaries.exist():
            log(f"building the control plane into {binaries.directory} "
                "(a cold build takes 10+ minutes on 2 cores; later runs reuse it)")
            _build(module_dir, binaries.directory)
    return binaries


def _build(module_dir: Path, target: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    command = ["nice", "-n", "15", "go", "build", "-buildvcs=false", "-o", f"{staging}/",
               "-ldflags", ldflags(kubernetes_version(module_dir)), *PROGRAMS.values()]
    try:
        result = subprocess.run(command, cwd=module_dir, env=_go_env(), capture_output=True, text=True)
        if result.returncode != 0:
            raise BuildError(f"go build failed in {module_dir}:\n{result.stderr.strip()[-4000:]}")
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _go_env() -> dict[str, str]:
    # static binaries, and never a toolchain download: the machine's Go builds it or says why not
    return {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
