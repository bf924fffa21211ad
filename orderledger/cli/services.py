"""`orderledger services`: import the catalogue, list it."""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm import tqdm

from orderledger.cli.common import CommandFailed, catch_up, opened_store
from orderledger.domain.catalogue import CatalogueError, read_catalogue
from orderledger.projections.catalogue import CATALOGUE
from orderledger.projections.tables import Target, select_sql

BATCH = 250


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("services", help="the service catalogue")
    actions = parser.add_subparsers(dest="services_action", required=True)
    load = actions.add_parser(
        "import",
        help="import a catalogue file in the shape of the `services` answer",
        description="Records only what changed: new services, changed fields, services missing "
        "from the file disabled (never deleted). Safe to interrupt and run again.",
    )
    load.add_argument("file", type=Path)
    load.set_defaults(run=import_services)
    listing = actions.add_parser("list", help="list the catalogue, disabled services marked")
    listing.set_defaults(run=list_services)


def import_services(args: argparse.Namespace) -> int:
    try:
        entries = read_catalogue(args.file)
    except CatalogueError as error:
        raise CommandFailed(str(error)) from error
    recorded = 0
    with opened_store() as store:
        with tqdm(total=len(entries), unit="service", desc="importing") as bar:
            for start in range(0, len(entries), BATCH):
                batch = entries[start : start + BATCH]
                recorded += store.ledger.sync_services(batch)
                bar.update(len(batch))
        in_file = {entry.number for entry in entries}
        missing = [n for n in store.ledger.listed_service_numbers() if n not in in_file]
        disabled = store.ledger.disable_services(missing)
    print(
        f"{len(entries)} services in {args.file}: {recorded} change(s) recorded, "
        f"{disabled} service(s) no longer in the file disabled"
    )
    return 0


def list_services(args: argparse.Namespace) -> int:
    with opened_store() as store:
        catch_up(store)
        with store.db.transaction() as cursor:
            cursor.execute(select_sql(Target.live(CATALOGUE)) + " ORDER BY number")
            rows = [CATALOGUE.from_db(values) for values in cursor.fetchall()]
    for row in rows:
        flags = "".join(
            letter if bool(on) else "-"
            for letter, on in (("D", row.dripfeed), ("R", row.refill), ("C", row.cancel))
        )
        state = "" if row.enabled else "  [disabled]"
        print(
            f"{row.number:>7}  {row.type:<24} {row.rate!s:>10}  {row.min:>7}-{row.max:<9} "
            f"{flags}  {row.name}{state}"
        )
    print(f"{len(rows)} services, {sum(1 for r in rows if r.enabled)} enabled")
    return 0
