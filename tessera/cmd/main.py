"""The `tessera` command: one subcommand group per area (`tessera numa ...`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tessera import __version__
from tessera.cmd import domain, explain, numa, services


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tessera", description=__doc__)
    parser.add_argument("--version", action="version", version="tessera " + __version__)
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    numa.register(groups)
    services.register(groups)
    explain.register(groups)
    domain.register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
