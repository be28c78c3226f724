"""apps-eval: generate, judge and report APPS programs. `python run_eval.py --help`."""
from __future__ import annotations

import sys


def main() -> int:
    from harness.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
