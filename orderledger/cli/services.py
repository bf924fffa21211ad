"""`orderledger services`: import the catalogue, list it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from orderledger.application.ledger import Ledger
from orderledger.cli.common import CommandFailed, catch_up, opened_store
from orderledger.domain.catalogue import (
    CatalogueEntry,
    CatalogueError,
    ImportPlan,
    plan_import,
    read_catalogue,
)
from orderledger.domain.money import plain
from orderledger.domain.service import Service
from orderledger.views.catalogue import every_service

BATCH = 250
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
        plan = plan_import(entries, current_catalogue(store.ledger))
        if args.dry_run:
            print("\n".join(plan_lines(args.file, entries, plan)))
            print("dry run: nothing recorded")
            return 0
        if plan.disables_most() and not args.yes:
            print(
                "\n".join(plan_lines(args.file, entries, plan, SHOWN_WHEN_ASKING)), file=sys.stderr
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
    """Record the plan: events recorded, services disabled."""
    recorded = 0
    with tqdm(total=len(plan.to_sync), unit="service", desc="importing") as bar:
        for start in range(0, len(plan.to_sync), BATCH):
            batch = plan.to_sync[start : start + BATCH]
            recorded += ledger.sync_services(batch)
            bar.update(len(batch))
    return recorded, ledger.disable_services(s.number for s in plan.disabled)


def current_catalogue(ledger: Ledger) -> dict[int, Service]:
    """Every service ever listed, as it stands (enabled or not)."""
    return {n: s for n in ledger.listed_service_numbers() if (s := ledger.service(n)) is not None}


def plan_lines(
    path: Path, entries: list[CatalogueEntry], plan: ImportPlan, shown: int | None = None
) -> list[str]:
    """What the import would do: the counts, then each service (`shown` of each kind)."""
    lines = [
        f"{path}: {len(entries)} services; the catalogue has {plan.listed}, "
        f"{plan.enabled_now} of them enabled",
        f"would add {len(plan.added)}, change {len(plan.changed)}, enable {len(plan.enabled)}, "
        f"disable {len(plan.disabled)} of the {plan.enabled_now} enabled services",
    ]
    kinds: list[tuple[str, list[str]]] = [
        ("add", [f"{e.number}  {e.name}" for e in plan.added]),
        ("change", [f"{e.number}  {e.name}  ({', '.join(names)})" for e, names in plan.changed]),
        ("enable", [f"{e.number}  {e.name}" for e in plan.enabled]),
        ("disable", [f"{s.number}  {s.name}" for s in plan.disabled]),
    ]
    for kind, items in kinds:
        lines += [f"  {kind:<8} {item}" for item in items[:shown]]
        if shown is not None and len(items) > shown:
            lines.append(f"  ... and {len(items) - shown} more to {kind}")
    return lines


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
