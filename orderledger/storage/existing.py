"""Which of many aggregate ids already have events, in one query.

`add` takes a link guard per order; most guards are new, and loading each from the
repository costs two round trips to learn that it does not exist. Asking once for the whole
batch is safe: a guard created by another writer after this query makes the new guard's
first event collide on its version, and the batch is decided again.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.sql import SQL, Identifier

from orderledger.storage.pools import repeated_if_lost


def existing_aggregates(recorder: PostgresAggregateRecorder, ids: Collection[UUID]) -> set[UUID]:
    """The ids that have events (SQLite's backend cannot say in one query: it has none)."""
    if not ids:
        return set()
    query = SQL("SELECT DISTINCT originator_id FROM {} WHERE originator_id = ANY(%s)").format(
        Identifier(recorder.events_table_name)
    )

    def read() -> set[UUID]:
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(query, (list(ids),), prepare=True)
            return {UUID(str(row["originator_id"])) for row in cursor.fetchall()}

    return repeated_if_lost(read)
