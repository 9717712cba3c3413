"""Delete the namespaces interrupted runs left behind (a killed CI job, a `kill -9`, a lost laptop lid).

    python -m support.sweep [--kubeconfig PATH] [--context NAME] [--older-than 30m] [--dry-run]

Only namespaces labelled `app.kubernetes.io/managed-by=budaiscaler-spec` (the label the suite puts
on every namespace it creates) and older than `--older-than` (by creationTimestamp, so a run in
progress keeps its namespace) are deleted; never any other namespace, never a protected one
(default, kube-*, the controller's). Prints what it deleted or, with --dry-run, would delete, and
the suite's namespaces stuck in Terminating with what holds them (a BudAIScaler's finalizer
waits for a running controller). Ages are measured on the API server's clock, not this machine's.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, TextIO

from support.cluster import MANAGED_BY, Cluster, PreconditionError, connect
from support.settings import PROTECTED_NAMESPACES

SELECTOR = ",".join(f"{k}={v}" for k, v in MANAGED_BY.items())
DEFAULT_AGE = "30m"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Leftover:
    name: str
    age: float  # seconds


@dataclass(frozen=True)
class Stuck:
    name: str
    terminating_for: float | None  # seconds since deletion was asked, None when unknown
    reason: str                      # what the namespace's conditions say holds it


SCALER_FINALIZER = "scaler.bud.studio/finalizer"
_HOLDING_CONDITIONS = ("NamespaceFinalizersRemaining", "NamespaceContentRemaining", "NamespaceDeletionContentFailure",
                       "NamespaceDeletionDiscoveryFailure", "NamespaceDeletionGroupVersionParsingFailure")


def parse_age(text: str) -> float:
    """'90s', '30m', '2h', '1d', '1h30m' or plain seconds -> seconds."""
    cleaned = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", cleaned):
        return float(cleaned)
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhd])", cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise ValueError(f"--older-than {text!r} is not an age: use e.g. 90s, 30m, 2h, 1d or 1h30m")
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def format_age(seconds: float) -> str:
    seconds = int(max(0, seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m")) if v]
    return "".join(parts) + (f"{secs}s" if secs or not parts else "")


def _timestamp(namespace: dict, field: str) -> float | None:
    stamp = (namespace.get("metadata") or {}).get(field)
    if not stamp:
        return None
    if isinstance(stamp, datetime):
        return stamp.timestamp()
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()


def _created(namespace: dict) -> float | None:
    return _timestamp(namespace, "creationTimestamp")


def _terminating(namespace: dict) -> bool:
    meta = namespace.get("metadata") or {}
    return bool(meta.get("deletionTimestamp")) or (namespace.get("status") or {}).get("phase") == "Terminating"


def is_managed(namespace: dict) -> bool:
    labels = (namespace.get("metadata") or {}).get("labels") or {}
    return all(labels.get(key) == value for key, value in MANAGED_BY.items())


def select_leftovers(namespaces: Iterable[dict], now: float, older_than: float,
                     also_protect: Iterable[str] = ()) -> list[Leftover]:
    """The namespaces to delete: labelled by the suite, not protected (default, kube-*, the controller's,
    plus `also_protect`), not already being deleted, and created at least `older_than` seconds before
    `now`. Pure: the caller supplies the time."""
    protected = set(PROTECTED_NAMESPACES) | set(also_protect)
    chosen = []
    for namespace in namespaces:
        meta = namespace.get("metadata") or {}
        name = meta.get("name", "")
        if not name or name in protected or not is_managed(namespace):
            continue
        if _terminating(namespace):
            continue
        created = _created(namespace)
        if created is None:
            continue  # no age, no deletion
        age = now - created
        if age >= older_than:
            chosen.append(Leftover(name, age))
    return sorted(chosen, key=lambda leftover: leftover.name)


def select_stuck(namespaces: Iterable[dict], now: float) -> list[Stuck]:
    """The suite's namespaces in Terminating, with how long and what their conditions say holds them. Pure."""
    stuck = []
    for namespace in namespaces:
        if not is_managed(namespace) or not _terminating(namespace):
            continue
        asked = _timestamp(namespace, "deletionTimestamp")
        held = [c.get("message", "") for c in (namespace.get("status") or {}).get("conditions") or []
                if c.get("type") in _HOLDING_CONDITIONS and c.get("status") == "True" and c.get("message")]
        stuck.append(Stuck(namespace["metadata"]["name"], None if asked is None else now - asked, "; ".join(held)))
    return sorted(stuck, key=lambda item: item.name)


def describe_stuck(item: Stuck) -> str:
    since = "" if item.terminating_for is None else f" for {format_age(item.terminating_for)}"
    text = f"namespace {item.name} has been terminating{since}"
    text += f": {item.reason}" if item.reason else " (no condition says why yet)"
    if SCALER_FINALIZER in item.reason:
        text += (f" -- BudAIScalers keep {SCALER_FINALIZER} until the BudAIScaler controller removes it: "
                 "is the controller running?")
    return text


def server_time(cluster: Cluster) -> float:
    """The API server's clock (creationTimestamps are on it), not this machine's."""
    return cluster.server_time()


def sweep(cluster: Cluster, older_than: float, now: float | None = None, dry_run: bool = False,
          also_protect: Iterable[str] = (), out: TextIO = sys.stdout) -> list[Leftover]:
    """Delete (or, dry, list) the suite's leftover namespaces on `cluster`; report stuck ones; returns the leftovers."""
    now = server_time(cluster) if now is None else now
    labelled = cluster.namespaces(SELECTOR)
    for item in select_stuck(labelled, now):
        print(describe_stuck(item), file=out)
    leftovers = select_leftovers(labelled, now, older_than, also_protect)
    for leftover in leftovers:
        if dry_run:
            print(f"would delete namespace {leftover.name} (age {format_age(leftover.age)})", file=out)
        else:
            cluster.delete_namespace(leftover.name)
            print(f"deleted namespace {leftover.name} (age {format_age(leftover.age)})", file=out)
    younger = len(labelled) - len(leftovers)
    if not leftovers:
        print(f"nothing to sweep: no namespace labelled {SELECTOR} is older than {format_age(older_than)}"
              + (f" ({younger} younger or in use)" if younger else ""), file=out)
    elif younger:
        print(f"left {younger} labelled namespace(s) younger than {format_age(older_than)} or being deleted",
              file=out)
    return leftovers


def parse_args(argv: list[str] | None = None, prog: str = "python -m support.sweep") -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubeconfig", help="kubeconfig path (default: $KUBECONFIG or ~/.kube/config)")
    parser.add_argument("--context", help="kubeconfig context (default: the current context)")
    parser.add_argument("--older-than", default=DEFAULT_AGE, metavar="AGE",
                        help=f"only namespaces at least this old, e.g. 90s, 30m, 2h, 1d (default: {DEFAULT_AGE})")
    parser.add_argument("--dry-run", action="store_true", help="print what would be deleted, delete nothing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, now: float | None = None, out: TextIO = sys.stdout,
         prog: str = "python -m support.sweep") -> int:
    args = parse_args(argv, prog)
    try:
        older_than = parse_age(args.older_than)
    except ValueError as error:
        print(f"sweep: {error}", file=sys.stderr)
        return 2
    try:
        cluster = connect(args.kubeconfig, args.context)
    except PreconditionError as error:
        print(f"sweep: {error}", file=sys.stderr)
        return 2
    try:
        try:
            cluster.check_reachable()
        except PreconditionError as error:
            print(f"sweep: {error}", file=sys.stderr)
            return 2
        print(f"sweeping {cluster.server} (context {cluster.context})"
              + (" -- dry run, nothing is deleted" if args.dry_run else ""), file=out)
        sweep(cluster, older_than, now=now, dry_run=args.dry_run, out=out)
    finally:
        cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
