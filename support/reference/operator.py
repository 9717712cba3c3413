"""`python -m support.reference.operator`: the thin entry point of the reference operator.

The operator itself lives in `support/operator/` (it does I/O; this package is
pure); see `python -m support.reference.operator --help`.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from support.operator.main import main as run  # the I/O lives outside the pure model

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
