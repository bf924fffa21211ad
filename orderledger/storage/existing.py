"""Which of many aggregate ids already have events, and what several aggregates recorded
since the versions in hand, each in one query.

`add` takes a link guard per order; most guards are new, and loading each from the
repository costs two round trips to learn that it does not exist. Asking once for the whole
batch is safe: a guard created by another writer after this query makes the new guard's
first event collide on its version, and the batch is decided again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from uuid import UUID

from eventsourcing.persistence import StoredEvent
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


def newer_events(
    recorder: PostgresAggregateRecorder, versions: Mapping[UUID, int]
) -> list[StoredEvent]:
    """Every event of each aggregate after the version given for it, by aggregate and
    version: what fast-forwarding each from its version in hand would read, for all of them
    in one round trip instead of one each."""
    if not versions:
        return []
    # The ids again as `= ANY`: without it the planner, which cannot see into `unnest`, may
    # hash-join the whole events table (seen: a sequential scan of 26,000 events).
    query = SQL(
        "SELECT e.originator_id, e.originator_version, e.topic, e.state "
        "FROM {} e JOIN unnest(%s::uuid[], %s::bigint[]) AS k(id, version) "
        "ON e.originator_id = k.id "
        "WHERE e.originator_id = ANY(%s::uuid[]) AND e.originator_version > k.version "
        "ORDER BY e.originator_id, e.originator_version"
    ).format(Identifier(recorder.events_table_name))
    ids = list(versions)
    params = (ids, [versions[i] for i in ids], ids)

    def read() -> list[StoredEvent]:
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(query, params, prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in cursor.fetchall()
            ]

    return repeated_if_lost(read)
