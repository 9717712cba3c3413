"""How the control plane's binaries are built and cached (issue 7 item 1)."""

from __future__ import annotations

import shutil

import pytest
from hamcrest import assert_that, contains_string, equal_to, is_not, matches_regexp

from support.controlplane import binaries


@pytest.fixture
def module(tmp_path):
    copy = tmp_path / "controlplane"
    shutil.copytree(binaries.MODULE_DIR, copy, ignore=shutil.ignore_patterns("README.md"))
    return copy


def test_the_module_pins_kubernetes_and_replaces_every_staging_module_with_the_same_minor():
    version = binaries.kubernetes_version()
    assert_that(version, matches_regexp(r"^v1\.\d+\.\d+$"))
    go_mod = (binaries.MODULE_DIR / "go.mod").read_text()
    staging = version.replace("v1.", "v0.", 1)
    replaces = [line.split() for line in go_mod.splitlines() if "=>" in line]
    assert replaces, "go.mod replaces no staging module"
    for source, _, target, target_version in replaces:
        assert_that(target, equal_to(source))
        assert_that(target_version, equal_to(staging))
    assert_that((binaries.MODULE_DIR / "go.sum").read_text(), contains_string(f"k8s.io/kubernetes {version} h1:"))


def test_the_version_stamps_are_what_kubernetes_release_builds_set():
    flags = binaries.ldflags("v1.37.2")
    for stamp in ("gitVersion=v1.37.2", "gitMajor=1", "gitMinor=37", "gitTreeState=clean"):
        assert_that(flags, contains_string(f"-X k8s.io/component-base/version.{stamp}"))


def test_the_cache_key_follows_go_sum_the_sources_and_the_go_version(module):
    key = binaries.cache_key(module, "go version go1.26.8 linux/amd64")
    assert_that(binaries.cache_key(module, "go version go1.26.8 linux/amd64"), equal_to(key))
    assert_that(binaries.cache_key(module, "go version go1.27.3 linux/amd64"), is_not(equal_to(key)))
    (module / "go.sum").write_text((module / "go.sum").read_text() + "example.com/x v1.0.0 h1:abc=\n")
    changed_sum = binaries.cache_key(module, "go version go1.26.8 linux/amd64")
    assert_that(changed_sum, is_not(equal_to(key)))
    (module / "cmd" / "etcd" / "main.go").write_text("package main\n\nfunc main() {}\n")
    assert_that(binaries.cache_key(module, "go version go1.26.8 linux/amd64"), is_not(equal_to(changed_sum)))


def test_binaries_live_under_the_cache_root_by_key(monkeypatch, tmp_path):
    monkeypatch.setenv("BUDSPEC_CACHE", str(tmp_path))
    assert_that(str(binaries.cache_root()), equal_to(str(tmp_path / "controlplane")))


def test_a_missing_go_says_how_to_get_one():
    with pytest.raises(binaries.BuildError, match="no Go toolchain .* install Go 1.26"):
        binaries.go_version("go-that-does-not-exist")
