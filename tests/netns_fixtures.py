"""Fixtures for tests that need the node agent's network: root and `ip netns` (iproute2).

CI runs as root with iproute2 installed; there a missing network namespace is a failure, not a skip.
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from support.controlplane import network


def netns_usable() -> bool:
    if os.geteuid() != 0:
        return False
    probe = f"budspec-probe-{uuid.uuid4().hex[:6]}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode == 0
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return made


needs_netns = pytest.mark.skipif(not os.environ.get("CI") and not netns_usable(),
                                 reason="needs root and `ip netns` (iproute2)")


@pytest.fixture
def node_network():
    """The node's bridge: reused when a running control plane has it, else made and removed here."""
    existed = network.bridge_exists()
    network.set_up_bridge()
    yield
    if not existed:
        network.tear_down_bridge()
