"""Run the reference operator against the cluster a kubeconfig names, on the real clock.

    python -m support.reference.operator --kubeconfig K [--context C] [--model as-built]
                                         [--leader-elect [--leader-election-namespace NS]]
                                         [--service-addresses dns|api]

In a pod (KUBERNETES_SERVICE_HOST set, no --kubeconfig nor KUBECONFIG) it uses the pod's
service-account token. Runs until SIGINT or SIGTERM, then stops cleanly (releasing its lease) and exits 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from support.clock import RealClock
from support.operator.behaviour import behaviour_named
from support.kube.api import KubeApi
from support.kube.retry import client_from_kubeconfig, retrying
from support.operator.leader import LeaderElection
from support.operator.operator import Operator
from support.operator.services import RESOLVERS

DEFAULT_LEASE_NAMESPACE = "budaiscaler-system"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m support.reference.operator",
                                     description="the reference BudAIScaler controller, against any cluster")
    parser.add_argument("--kubeconfig", type=Path, help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    parser.add_argument("--context", help="kubeconfig context (default: the current one)")
    parser.add_argument("--model", choices=("contract", "as-built"), default="contract",
                        help="what BudAIScaler promises (contract) or what its code does today (as-built)")
    parser.add_argument("--quirks", type=lambda text: [q for q in text.split(",") if q], default=None,
                        help="with --model as-built: only these departures (comma-separated), not all of them")
    parser.add_argument("--leader-elect", action="store_true", help="reconcile only while holding the Lease")
    parser.add_argument("--leader-election-namespace", default=DEFAULT_LEASE_NAMESPACE)
    parser.add_argument("--service-addresses", choices=sorted(RESOLVERS), default="dns",
                        help="reach Services (the DCGM exporter) by cluster DNS (dns, in a pod) or through the "
                             "API, at a ready endpoint pod (api: for clusters without cluster DNS, or out of cluster)")
    return parser.parse_args(argv)


def log(line: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"{stamp} {line}", flush=True)


def in_cluster(args: argparse.Namespace, environ=os.environ) -> bool:
    """In a pod with no kubeconfig named: use the pod's service-account token, as controllers do."""
    return not args.kubeconfig and not environ.get("KUBECONFIG") and bool(environ.get("KUBERNETES_SERVICE_HOST"))


def api_client_for(args: argparse.Namespace) -> k8s_client.ApiClient:
    if in_cluster(args):
        configuration = k8s_client.Configuration()
        try:
            k8s_config.load_incluster_config(client_configuration=configuration)
        except k8s_config.ConfigException as error:
            raise SystemExit(f"cannot use the pod's service account: {error}. Pass --kubeconfig PATH") from None
        return k8s_client.ApiClient(retrying(configuration))
    config_file = str(args.kubeconfig) if args.kubeconfig else None
    try:
        return client_from_kubeconfig(config_file, args.context)
    except (k8s_config.ConfigException, OSError) as error:
        raise SystemExit(f"cannot load the kubeconfig ({args.kubeconfig or 'default'}, context "
                         f"{args.context or 'current'}): {error}. Pass --kubeconfig PATH and --context NAME") from None


def build(args: argparse.Namespace) -> Operator:
    api = KubeApi(api_client_for(args))
    leader = LeaderElection(api, args.leader_election_namespace) if args.leader_elect else None
    try:
        behaviour = behaviour_named(args.model, args.quirks)
    except ValueError as error:
        raise SystemExit(f"{error} (--model, --quirks)") from None
    return Operator(api, RealClock(), behaviour, log=log, leader_election=leader,
                    services=RESOLVERS[args.service_addresses])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    operator = build(args)
    try:
        operator.start()
    except Exception as error:  # noqa: BLE001 - say why, not a traceback
        print(f"the reference operator cannot start against {operator.api.host}: {error}", file=sys.stderr)
        return 2
    try:
        stop.wait()
    finally:
        operator.stop()
    return 0
