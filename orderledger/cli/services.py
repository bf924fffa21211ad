"""`orderledger services`: import the catalogue, list it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from orderledger.application import catalogue_import
from orderledger.application.catalogue_import import planned
from orderledger.application.ledger import Ledger
from orderledger.cli.common import CommandFailed, catch_up, opened_store
from orderledger.domain.catalogue import CatalogueError, ImportPlan, read_catalogue
from orderledger.domain.money import plain
from orderledger.views.catalogue import every_service

SHOWN_WHEN_ASKING = 10  # services of each kind listed when --yes is needed; --dry-run lists all


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("services", help="the service catalogue")
    actions = parser.add_subparsers(dest="services_action", required=True)
    load = actions.add_parser(
        "import",
        help="import a catalogue file in the shape of the `services` answer",
        description="Records only what changed: new services, changed fields, services missing "
        "from the file disabled (never deleted). Safe to interrupt and run again. An import "
        "that would disable more than half of the enabled services asks for --yes.",
    )
    load.add_argument("file", type=Path)
    load.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be added, changed, enabled and disabled; record nothing",
    )
    load.add_argument(
        "--yes", action="store_true", help="go ahead even if most of the catalogue is disabled"
    )
    load.set_defaults(run=import_services)
    listing = actions.add_parser("list", help="list the catalogue, disabled services marked")
    listing.set_defaults(run=list_services)


def import_services(args: argparse.Namespace) -> int:
    try:
        entries = read_catalogue(args.file)
    except CatalogueError as error:
        raise CommandFailed(str(error)) from error
    with opened_store(create=not args.dry_run) as store:
        plan = planned(store.ledger, entries)
        if args.dry_run:
            print("\n".join(catalogue_import.plan_lines(str(args.file), entries, plan)))
            print("dry run: nothing recorded")
            return 0
        if plan.disables_most() and not args.yes:
            print(
                "\n".join(
                    catalogue_import.plan_lines(str(args.file), entries, plan, SHOWN_WHEN_ASKING)
                ),
                file=sys.stderr,
            )
            raise CommandFailed(
                "this import would disable most of the catalogue; run it again with --yes "
                "to go ahead (or --dry-run to see every change)"
            )
        recorded, disabled = carry_out(store.ledger, plan)
    print(
        f"{len(entries)} services in {args.file}: {recorded} change(s) recorded, "
        f"{disabled} service(s) no longer in the file disabled"
    )
    return 0


def carry_out(ledger: Ledger, plan: ImportPlan) -> tuple[int, int]:
    """Record the plan with a progress bar: events recorded, services disabled."""
    with tqdm(total=len(plan.to_sync), unit="service", desc="importing") as bar:
        return catalogue_import.carry_out(ledger, plan, progress=bar.update)


def list_services(args: argparse.Namespace) -> int:
    with opened_store() as store:
        catch_up(store)
        rows = every_service(store.db)
    for row in rows:
        flags = "".join(
            letter if bool(on) else "-"
            for letter, on in (("D", row.dripfeed), ("R", row.refill), ("C", row.cancel))
        )
        state = "" if row.enabled else "  [disabled]"
        print(
            f"{row.number:>7}  {row.type:<24} {plain(row.rate):>10}  {row.min:>7}-{row.max:<9} "
            f"{flags}  {row.name}{state}"
        )
    print(f"{len(rows)} services, {sum(1 for r in rows if r.enabled)} enabled")
    return 0
