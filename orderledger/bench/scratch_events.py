"""A scratch table shaped like the event store's, and one write made the way the event store
makes it: what the commit and notify ceilings measure.

One save of the event store (eventsourcing's `PostgresApplicationRecorder.insert_events`,
with `storage/event_recorder.py`'s statement) is, in one pipelined transaction on an
autocommit connection: `SET LOCAL lock_timeout`, `LOCK TABLE <events> IN EXCLUSIVE MODE`
(writers are serial, so notification ids are committed in order), `NOTIFY <channel>`, the
`INSERT ... RETURNING notification_id`, a sync, then `COMMIT` (a durable one: PostgreSQL's
defaults are kept). `write` does exactly that with one small row: no Python aggregate, no
encoding, no decision. The table has the event store's columns, primary key and unique index
on the notification id; it lives in the benchmark's own fresh database and is dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.sql import SQL, Identifier

TABLE = "bench_ceiling_events"
CHANNEL = "bench_ceiling_events"
TOPIC = "orderledger.domain.order:Order.Placed"
# About the size of a placed order's stored state (an `add` writes it and two smaller events).
STATE_BYTES = 460
LOCK_TIMEOUT_SECONDS = 10  # as the store sets it (POSTGRES_LOCK_TIMEOUT)

Connection = psycopg.Connection[tuple[object, ...]]

CREATE = [
    SQL(
        "CREATE TABLE {0} ("
        "originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
        "topic text, state bytea, notification_id bigserial, "
        "PRIMARY KEY (originator_id, originator_version))"
    ).format(Identifier(TABLE)),
    SQL("CREATE UNIQUE INDEX {0} ON {1} (notification_id ASC)").format(
        Identifier(TABLE + "_notification_id"), Identifier(TABLE)
    ),
]
DROP = SQL("DROP TABLE IF EXISTS {0}").format(Identifier(TABLE))
SET_LOCK_TIMEOUT = SQL("SET LOCAL lock_timeout = '{0}s'").format(LOCK_TIMEOUT_SECONDS)
LOCK = SQL("LOCK TABLE {0} IN EXCLUSIVE MODE").format(Identifier(TABLE))
NOTIFY = SQL("NOTIFY {0}").format(Identifier(CHANNEL))
INSERT = SQL(
    "INSERT INTO {0} (originator_id, originator_version, topic, state) "
    "VALUES (%s, %s, %s, %s) RETURNING notification_id"
).format(Identifier(TABLE))
SELECT_AFTER = SQL("SELECT notification_id FROM {0} WHERE notification_id > %s").format(
    Identifier(TABLE)
)


def connect(conninfo: str) -> Connection:
    return psycopg.connect(conninfo, autocommit=True)


@contextmanager
def scratch_table(conninfo: str) -> Iterator[None]:
    """The scratch table, created empty and dropped when the block ends."""
    with connect(conninfo) as conn:
        conn.execute(DROP)
        for statement in CREATE:
            conn.execute(statement)
    try:
        yield
    finally:
        with connect(conninfo) as conn:
            conn.execute(DROP)


def write(conn: Connection, state: bytes) -> int:
    """One event-store write of one small row, committed; its notification id."""
    with conn.pipeline() as pipeline, conn.transaction():
        conn.execute(SET_LOCK_TIMEOUT, prepare=True)
        conn.execute(LOCK, prepare=True)
        conn.execute(NOTIFY)
        cursor = conn.execute(INSERT, (uuid.uuid4(), 1, TOPIC, state))
        pipeline.sync()
        row = cursor.fetchone()
    assert row is not None
    return int(str(row[0]))


def sample_state() -> bytes:
    return os.urandom(STATE_BYTES)
