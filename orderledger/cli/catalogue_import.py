"""What every catalogue import shares (a file's and an upstream's): the catalogue it is
planned against, the plan shown or asked about, and the plan recorded in batches."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from tqdm import tqdm

from orderledger.application.ledger import Ledger
from orderledger.cli.common import CommandFailed
from orderledger.domain.catalogue import ImportPlan
from orderledger.domain.service import Service

BATCH = 250
SHOWN_WHEN_ASKING = 10  # services of each kind listed when --yes is needed; --dry-run lists all


def current_catalogue(ledger: Ledger) -> dict[int, Service]:
    """Every service ever listed, as it stands (enabled or not)."""
    return {n: s for n in ledger.listed_service_numbers() if (s := ledger.service(n)) is not None}


def go_ahead(
    args: argparse.Namespace, plan: ImportPlan, header: str, notes: Mapping[int, str] = {}
) -> bool:
    """A dry run prints the plan (False: nothing to record); an import that would disable
    most of what it covers is refused without --yes; otherwise True."""
    if args.dry_run:
        print("\n".join(plan_lines(header, plan, notes=notes)))
        print("dry run: nothing recorded")
        return False
    if plan.disables_most() and not args.yes:
        print("\n".join(plan_lines(header, plan, SHOWN_WHEN_ASKING, notes)), file=sys.stderr)
        raise CommandFailed(
            "this import would disable most of the catalogue; run it again with --yes "
            "to go ahead (or --dry-run to see every change)"
        )
    return True


def carry_out(
    ledger: Ledger, plan: ImportPlan, links: Mapping[int, tuple[str, int]] | None = None
) -> tuple[int, int]:
    """Record the plan (each new service with its link, if any, in the same transaction):
    events recorded, services disabled."""
    recorded = 0
    with tqdm(total=len(plan.to_sync), unit="service", desc="importing") as bar:
        for start in range(0, len(plan.to_sync), BATCH):
            batch = plan.to_sync[start : start + BATCH]
            recorded += ledger.sync_services(batch, links)
            bar.update(len(batch))
    return recorded, ledger.disable_services(s.number for s in plan.disabled)


def plan_lines(
    header: str, plan: ImportPlan, shown: int | None = None, notes: Mapping[int, str] = {}
) -> list[str]:
    """What the import would do: the counts, then each service (`shown` of each kind; a new
    service's note after it)."""
    lines = [
        header,
        f"would add {len(plan.added)}, change {len(plan.changed)}, enable {len(plan.enabled)}, "
        f"disable {len(plan.disabled)} of the {plan.enabled_now} enabled services",
    ]
    kinds: list[tuple[str, list[str]]] = [
        ("add", [f"{e.number}  {e.name}  {notes.get(e.number, '')}".rstrip() for e in plan.added]),
        ("change", [f"{e.number}  {e.name}  ({', '.join(names)})" for e, names in plan.changed]),
        ("enable", [f"{e.number}  {e.name}" for e in plan.enabled]),
        ("disable", [f"{s.number}  {s.name}" for s in plan.disabled]),
    ]
    for kind, items in kinds:
        lines += [f"  {kind:<8} {item}" for item in items[:shown]]
        if shown is not None and len(items) > shown:
            lines.append(f"  ... and {len(items) - shown} more to {kind}")
    return lines
