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
    failures: list[BaseException] = []

    def run() -> None:
        try:
            agent.run()
        except BaseException as error:  # noqa: BLE001 - reported below, then the node is taken down
            failures.append(error)

    runner = threading.Thread(target=run, name="agent", daemon=True)
    runner.start()
    while runner.is_alive():
        runner.join(timeout=0.5)  # the main thread stays free to take signals
    agent.shut_down()
    if failures:
        print(f"the node agent stopped: {type(failures[0]).__name__}: {failures[0]}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
