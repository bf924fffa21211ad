"""What every catalogue import of the command line shares (a file's and an upstream's): the
plan shown or asked about, and the plan recorded with a progress bar. The plan itself, its
lines and its recording are application/catalogue_import.py's, which the console's import
shares."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from tqdm import tqdm

from orderledger.application import catalogue_import
from orderledger.application.catalogue_import import current_catalogue, plan_lines
from orderledger.application.ledger import Ledger
from orderledger.cli.common import CommandFailed
from orderledger.domain.catalogue import ImportPlan

__all__ = ["carry_out", "current_catalogue", "go_ahead"]

SHOWN_WHEN_ASKING = 10  # services of each kind listed when --yes is needed; --dry-run lists all


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
    """Record the plan with a progress bar: events recorded, services disabled."""
    with tqdm(total=len(plan.to_sync), unit="service", desc="importing") as bar:
        return catalogue_import.carry_out(ledger, plan, links, progress=bar.update)
