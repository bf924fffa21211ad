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


def search_services(
    db: Database, text: str = "", after: int = 0, limit: int = 100
) -> list[ServiceRow]:
    """The services whose number is `text`, or whose name or category holds it (any case),
    by number after `after`: one page of `limit` (the console's catalogue)."""
    sql = select_sql(Target.live(CATALOGUE)) + " WHERE number > %s"
    params: list[object] = [after]
    wanted = text.strip()
    if wanted:
        pattern = (
            "%" + wanted.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        sql += " AND (lower(name) LIKE %s ESCAPE '\\' OR lower(category) LIKE %s ESCAPE '\\'" + (
            " OR number = %s)" if wanted.isdigit() else ")"
        )
        params += [pattern, pattern]
        if wanted.isdigit():
            params.append(int(wanted))
    with db.transaction() as cursor:
        cursor.execute(sql + " ORDER BY number LIMIT %s", [*params, limit])
        return [CATALOGUE.from_db(values) for values in cursor.fetchall()]
