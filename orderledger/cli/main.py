"""Entry point of the `orderledger` command."""

from __future__ import annotations

import argparse
import logging
import sys
from types import ModuleType

from orderledger.cli import (
    accounts,
    auditors,
    backup,
    bench,
    operators,
    orders,
    projections,
    refills,
    serve,
    services,
)
from orderledger.cli.common import run_safely

COMMAND_GROUPS: tuple[ModuleType, ...] = (
    serve,
    accounts,
    services,
    operators,
    orders,
    refills,
    auditors,
    projections,
    backup,
    bench,
)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="orderledger",
        description="An event-sourced order ledger for providers of the SMM API v2. "
        "Uses PostgreSQL when ORDERLEDGER_DATABASE_URL is set, else SQLite under ./var.",
    )
    commands = root.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    return run_safely(lambda: args.run(args))


if __name__ == "__main__":
    sys.exit(main())
