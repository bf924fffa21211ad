"""Importing a catalogue: the plan against the catalogue as it stands (domain/catalogue.py
decides it), the lines that describe it, and carrying it out in batches. `orderledger
services import` and the console's import both do it here, so a preview in either is the
plan that the other would carry out."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from orderledger.application.ledger import Ledger
from orderledger.domain.catalogue import CatalogueEntry, ImportPlan, plan_import
from orderledger.domain.service import Service

BATCH = 250


def current_catalogue(ledger: Ledger) -> dict[int, Service]:
    """Every service ever listed, as it stands (enabled or not)."""
    return {n: s for n in ledger.listed_service_numbers() if (s := ledger.service(n)) is not None}


def planned(ledger: Ledger, entries: list[CatalogueEntry]) -> ImportPlan:
    return plan_import(entries, current_catalogue(ledger))


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
    for kind, items in plan_items(plan, notes):
        lines += [f"  {kind:<8} {item}" for item in items[:shown]]
        if shown is not None and len(items) > shown:
            lines.append(f"  ... and {len(items) - shown} more to {kind}")
    return lines


def plan_items(plan: ImportPlan, notes: Mapping[int, str] = {}) -> list[tuple[str, list[str]]]:
    """Each kind of change (add, change, enable, disable) and its services, as text."""
    return [
        ("add", [f"{e.number}  {e.name}  {notes.get(e.number, '')}".rstrip() for e in plan.added]),
        ("change", [f"{e.number}  {e.name}  ({', '.join(names)})" for e, names in plan.changed]),
        ("enable", [f"{e.number}  {e.name}" for e in plan.enabled]),
        ("disable", [f"{s.number}  {s.name}" for s in plan.disabled]),
    ]


def plan_fingerprint(plan: ImportPlan) -> str:
    """A digest of every change the plan makes and of what it was planned against: two plans
    with one fingerprint record the same events."""
    described = [
        f"{plan.listed} {plan.enabled_now}",
        *(f"{kind} {item}" for kind, items in plan_items(plan) for item in items),
        *(repr(sorted(entry.fields().items())) for entry in plan.to_sync),
    ]
    return hashlib.sha256("\n".join(described).encode()).hexdigest()


def carry_out(
    ledger: Ledger,
    plan: ImportPlan,
    links: Mapping[int, tuple[str, int]] | None = None,
    progress: Callable[[int], object] | None = None,
) -> tuple[int, int]:
    """Record the plan, a batch of services per transaction (each new service with its link,
    if any, in the same one): events recorded, services disabled. Interrupted, it can be
    planned and run again: only what is still different is recorded."""
    recorded = 0
    for start in range(0, len(plan.to_sync), BATCH):
        batch = plan.to_sync[start : start + BATCH]
        recorded += ledger.sync_services(batch, links)
        if progress is not None:
            progress(len(batch))
    return recorded, ledger.disable_services(s.number for s in plan.disabled)
