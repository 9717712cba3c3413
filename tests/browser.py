"""Headless Chromium (Debian's `chromium`) looking at a page as a person would: its DOM after
rendering, and a screenshot. The flags keep it off the network and out of the user's profile."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=3000"]

# CI installs chromium (`make test` does, see the Makefile); there a missing browser is a failure.
needs_chromium = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                    reason="chromium is not installed (make test installs it)")


def _run(page: Path, *extra: str) -> subprocess.CompletedProcess:
    assert CHROMIUM, "chromium is not installed: run `make chromium` (Debian package chromium)"
    with tempfile.TemporaryDirectory(prefix="budspec-chromium-") as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120)


def rendered_dom(page: Path) -> str:
    done = _run(page, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 2400) -> Path:
    done = _run(page, f"--window-size={width},{height}", f"--screenshot={png}")
    assert done.returncode == 0 and png.is_file(), done.stderr[-2000:]
    return png
