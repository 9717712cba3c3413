"""python -m support.controlplane.node --kubeconfig K --node-name N --pki DIR [--log-dir DIR]: the node agent."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from support.controlplane.node.agent import Agent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m support.controlplane.node", description=__doc__)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--node-name", required=True)
    parser.add_argument("--pki", required=True, type=Path, help="directory with ca.crt and kubelet.crt/.key")
    parser.add_argument("--log-dir", type=Path, help="container logs (default: <pki>/../pods)")
    args = parser.parse_args(argv)
    agent = Agent(args.kubeconfig, args.node_name, args.pki, args.log_dir or args.pki.parent / "pods")
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: agent.stop())
    failure = serve(agent)
    if failure is not None:
        print(f"the node agent stopped: {type(failure).__name__}: {failure}", file=sys.stderr, flush=True)
        return 1
    return 0


def serve(agent: Agent) -> BaseException | None:
    """Run the agent until it fails or is told to stop, then stop its pods and remove its network.

    A stop does not wait for `run` to return: its watch may sit quiet for minutes, and a node
    agent killed at the end of `down`'s grace period would leave its containers running."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            agent.run()
        except BaseException as error:  # noqa: BLE001 - reported by the caller, then the node is taken down
            failures.append(error)

    runner = threading.Thread(target=run, name="agent", daemon=True)
    runner.start()
    while runner.is_alive() and not agent.stopping():
        runner.join(timeout=0.5)  # the main thread stays free to take signals
    agent.shut_down()
    return failures[0] if failures else None

if __name__ == "__main__":
    sys.exit(main())
