"""`python -m support.localcluster serve`: the embedded cluster, standalone, in (scaled) real time.

    python -m support.localcluster serve [--port N] [--speed X] [--model contract|as-built] [--kubeconfig PATH]
                                         [--no-controller]

Prints the kubeconfig path and an example kubectl command, then runs until
Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import threading
from pathlib import Path

from support.clock import ClockDriver
from support.localcluster import LocalCluster


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m support.localcluster")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the embedded cluster until interrupted")
    serve.add_argument("--port", type=int, default=0, help="API server port (default: any free port)")
    serve.add_argument("--speed", type=float, default=1.0, help="virtual seconds per real second")
    serve.add_argument("--model", choices=("contract", "as-built"), default="contract")
    serve.add_argument("--kubeconfig", type=Path, help="also copy the kubeconfig to this path")
    serve.add_argument("--no-controller", action="store_true",
                       help="run no BudAIScaler controller (run your own against the kubeconfig)")
    return parser.parse_args(argv)


def serve(args: argparse.Namespace) -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with LocalCluster(model=args.model, port=args.port, run_controller=not args.no_controller) as cluster:
        kubeconfig = cluster.kubeconfig_path
        if args.kubeconfig:
            args.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
            kubeconfig = Path(shutil.copyfile(cluster.kubeconfig_path, args.kubeconfig))
        print(f"embedded cluster at {cluster.server_url} (model={args.model}, speed={args.speed}x)")
        print(f"kubeconfig: {kubeconfig}")
        print(f"try: kubectl --kubeconfig {kubeconfig} get budaiscalers,deploy,pods -A", flush=True)
        driver = ClockDriver(cluster.clock, speed=args.speed)
        driver.start()
        try:
            stop.wait()
        finally:
            driver.stop()
    print("stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.command == "serve":
        serve(args)


if __name__ == "__main__":
    main()
