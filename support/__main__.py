"""Everyday commands: `python -m support <verb>` (installed as `budspec <verb>` too).

    status [NS]     each BudAIScaler's desired/actual replicas, conditions, learning and
                    prediction status, and its pods with the metric values they serve
    sweep           delete namespaces that interrupted runs left behind
    serve           run the embedded cluster in real time, for kubectl and demos
    report FOLDER   (re)write junit.xml and report.html of a run folder from its run.json
    run             run the spec with behave, `--jobs N` scenarios at a time

`python -m support <verb> --help` says more about each.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROG = "python -m support"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser()
    if not argv:
        parser.print_help(sys.stderr)
        return 2
    args, rest = parser.parse_known_args(argv)
    if args.verb in ("sweep", "serve", "run"):
        return _forward(args.verb, rest)
    if rest:
        parser.error(f"{args.verb}: unrecognized arguments: {' '.join(rest)}")
    return {"status": _status, "report": _report}[args.verb](args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    status = verbs.add_parser("status", help="what each BudAIScaler and its pods say now",
                              description=_doc("support.status"))
    status.add_argument("namespace", nargs="?", help="only this namespace (default: every namespace)")
    status.add_argument("--kubeconfig", help="kubeconfig path (default: $KUBECONFIG or ~/.kube/config)")
    status.add_argument("--context", help="kubeconfig context (default: the current context)")
    report = verbs.add_parser("report", help="write junit.xml and report.html of run folders",
                              description="Write junit.xml and report.html from run.json; with several folders, "
                                          "merge them into the first one's parent as a new run.")
    report.add_argument("folders", nargs="+", type=Path, metavar="FOLDER", help="a run folder (with run.json)")
    for verb, text in (("sweep", "delete leftover namespaces of interrupted runs"),
                       ("serve", "run the embedded cluster in real time"),
                       ("run", "run the spec, --jobs N scenarios at a time")):
        verbs.add_parser(verb, help=text, add_help=False)
    return parser


def _forward(verb: str, rest: list[str]) -> int:
    if verb == "sweep":
        from support import sweep
        return sweep.main(rest, prog=f"{PROG} sweep")
    if verb == "serve":
        from support.localcluster.__main__ import main as localcluster
        localcluster(["serve", *rest])
        return 0
    from support.parallel import main as run
    return run(rest, prog=f"{PROG} run")


def _status(args: argparse.Namespace) -> int:
    from support.cluster import PreconditionError, connect
    from support.status import show
    try:
        cluster = connect(args.kubeconfig, args.context)
        try:
            cluster.check_reachable()
            show(cluster, args.namespace, sys.stdout)
        finally:
            cluster.close()
    except PreconditionError as error:
        print(f"status: {_as_options(str(error))}", file=sys.stderr)
        return 2
    return 0


def _as_options(message: str) -> str:
    """The cluster facade speaks to behave users (-D kubeconfig=...); here they are options."""
    return message.replace("-D kubeconfig=PATH", "--kubeconfig PATH").replace("-D context=NAME", "--context NAME")


def _report(args: argparse.Namespace) -> int:
    from support.report.run import RUN_FILE, Run, merge, new_run_id
    missing = [str(f) for f in args.folders if not (f / RUN_FILE).is_file()]
    if missing:
        print(f"report: no {RUN_FILE} in {', '.join(missing)}: name run folders, e.g. reports/latest", file=sys.stderr)
        return 2
    if len(args.folders) == 1:
        run = Run.load(args.folders[0])
    else:
        run = merge(args.folders, args.folders[0].resolve().parent / new_run_id())
    print(f"report: {run.finish()}")
    return 0


def _doc(module: str) -> str:
    import importlib
    return (importlib.import_module(module).__doc__ or "").strip()


if __name__ == "__main__":
    sys.exit(main())
