"""`orderledger backup PATH`: an online, consistent copy of the embedded SQLite store."""

from __future__ import annotations

import argparse
from pathlib import Path

from orderledger.bootstrap import backend_for
from orderledger.cli.common import CommandFailed, configured_settings, no_store
from orderledger.storage.settings import SettingsError
from orderledger.storage.sqlite_backup import BackupRefused


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "backup",
        help="copy the SQLite store, consistent, while serve runs (PostgreSQL: pg_dump)",
        description="Copies the embedded SQLite store (its events and its read models, as "
        "they stood at one moment) into the new directory PATH, while `serve` goes on "
        "answering and recording. To restore: stop the server and make PATH the store "
        "(ORDERLEDGER_DATA_DIR=PATH, or copy its files into the data directory). On "
        "PostgreSQL, use pg_dump (docs/operations.md).",
    )
    parser.add_argument("path", type=Path, metavar="PATH", help="a directory that does not exist")
    parser.set_defaults(run=backup)


def backup(args: argparse.Namespace) -> int:
    settings = configured_settings()
    try:
        backend = backend_for(settings)
        if settings.postgres is None and not backend.store_exists():
            raise no_store(settings)  # as every command that reads a store says it
        made = backend.backup(args.path)
    except (SettingsError, BackupRefused) as error:
        raise CommandFailed(str(error)) from error
    print(
        f"backed up events 1..{made.events} and the read models to {made.target.resolve()} "
        f"({made.bytes / 1e6:.1f} MB)"
    )
    return 0
