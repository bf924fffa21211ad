"""The service catalogue's read model, as the command line lists it."""

from __future__ import annotations

from orderledger.projections.catalogue import CATALOGUE, ServiceRow
from orderledger.projections.tables import Target, select_sql
from orderledger.storage.database import Database


def every_service(db: Database) -> list[ServiceRow]:
    """Every service in its row, disabled ones too, by number."""
    with db.transaction() as cursor:
        cursor.execute(select_sql(Target.live(CATALOGUE)) + " ORDER BY number")
        return [CATALOGUE.from_db(values) for values in cursor.fetchall()]


def linked_services(db: Database) -> dict[int, tuple[str, int]]:
    """Each service fulfilled by an upstream: its number -> (the upstream, its id there).
    Disabled services too: orders placed before a service was disabled are still forwarded."""
    with db.transaction() as cursor:
        cursor.execute(
            f"SELECT number, upstream, upstream_service FROM {CATALOGUE.table} "
            "WHERE upstream <> '' ORDER BY number"
        )
        return {int(number): (str(name), int(there)) for number, name, there in cursor.fetchall()}


def linked_counts(db: Database) -> dict[str, int]:
    """How many services (enabled or not) each upstream fulfils."""
    counts: dict[str, int] = {}
    for upstream, _ in linked_services(db).values():
        counts[upstream] = counts.get(upstream, 0) + 1
    return counts
