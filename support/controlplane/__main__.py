"""python -m support.controlplane {up,down,status,build}: see plane.py."""

from __future__ import annotations

import argparse
import sys

from support.controlplane import binaries, plane


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m support.controlplane", description=plane.__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down", "status", "build"))
    parser.add_argument("--bare", action="store_true",
                        help="up: do not install BudAIScaler (its CRD and the reference operator)")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(binaries.ensure_built().directory)
        elif args.command == "up":
            print(plane.describe(plane.up(budaiscaler=not args.bare)))
        elif args.command == "down":
            plane.down()
        else:
            state = plane.State.load(plane.state_dir())
            if state is None or not state.running():
                print("the control plane is not running (make controlplane starts it)")
                return 1
            print(plane.describe(state))
    except (binaries.BuildError, plane.ControlPlaneError) as error:
        print(f"controlplane: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
