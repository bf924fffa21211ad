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
