"""Entry point of the `orderledger` command."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import PackageNotFoundError, version
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
    upstreams,
)
from orderledger.cli.common import configured_settings, run_safely
from orderledger.storage.settings import settings_help

COMMAND_GROUPS: tuple[ModuleType, ...] = (
    serve,
    accounts,
    services,
    upstreams,
    operators,
    orders,
    refills,
    auditors,
    projections,
    backup,
    bench,
)


def installed_version() -> str:
    try:
        return version("orderledger")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(version unknown: not installed, see README)"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="orderledger",
        description="An event-sourced order ledger for providers of the SMM API v2. "
        "Uses PostgreSQL when ORDERLEDGER_DATABASE_URL is set, else SQLite under ./var.",
        epilog=f"settings (environment; unset or empty: the default):\n{settings_help()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    root.add_argument("--version", action="version", version=f"orderledger {installed_version()}")
    commands = root.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    return run_safely(lambda: run(args))


def run(args: argparse.Namespace) -> int | None:
    configured_settings()  # every setting checked before any command starts: a bad one is one line
    result: int | None = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
