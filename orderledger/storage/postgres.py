"""PostgreSQL: everything orderledger does differently on it, in `PostgresBackend`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg_pool import AsyncConnectionPool

from orderledger.storage import event_recorder, event_store
from orderledger.storage.account_locks import PostgresAccountLocks
from orderledger.storage.backend import ExistingIds, NewerEvents, Query
from orderledger.storage.database import Cursor, Database
from orderledger.storage.existing import existing_aggregates, newer_events
from orderledger.storage.leadership import EVENTS_CHANNEL, PostgresLeadership
from orderledger.storage.locks import SCHEMA_LOCK, SWITCH_LOCK, PostgresSessionLock
from orderledger.storage.pools import (
    POOL_TIMEOUT_SECONDS,
    RECONNECT_SECONDS,
    FreshConnectionPool,
    repeated_if_lost,
)
from orderledger.storage.settings import PostgresAddress, SettingsError, one_line
from orderledger.storage.sqlite_backup import BackupMade, BackupRefused

SCHEMA_EXTRAS = (
    "CREATE SEQUENCE IF NOT EXISTS orderledger_order_numbers",
    "CREATE SEQUENCE IF NOT EXISTS orderledger_refill_numbers",
    # A text as a JSON string, for generated columns, which accept only immutable functions:
    # `to_json` is marked stable for all types, but quoting a text depends on no setting.
    "CREATE OR REPLACE FUNCTION orderledger_json_string(value TEXT) RETURNS TEXT "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT to_json(value)::text $$",
)
SEQUENCES = {"order": "orderledger_order_numbers", "refill": "orderledger_refill_numbers"}
# COPY costs two round trips (start, then data and end) where a pipelined INSERT of a few rows
# costs one, but psycopg spends about 8 µs less CPU per row on it: measured here, 16 rows
# took 290 µs of client CPU as INSERTs and 195 µs as COPY, in the same wall time. A rebuild's
# pages take COPY. The live projector sends a page's writes together (`batched`), where COPY
# cannot run: its INSERTs ride the one round trip of every projection's writes.
COPY_FROM_ROWS = 10


def in_pipeline(cursor: psycopg.Cursor[Any]) -> bool:
    return cursor.connection.pgconn.pipeline_status != psycopg.pq.PipelineStatus.OFF


class DatabaseUnavailable(SettingsError):
    """The configured PostgreSQL cannot be reached or refuses the connection."""


def check_reachable(conninfo: str, described: str) -> None:
    """Connect once, so a wrong setting is one line with libpq's reason, not a pool's
    timeout."""
    connected(conninfo, described).close()


def connected(conninfo: str, described: str) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(conninfo, autocommit=True)
    except psycopg.Error as error:
        raise DatabaseUnavailable(f"cannot connect to {described}: {one_line(error)}") from None


class PostgresDatabase:
    def __init__(self, backend: PostgresBackend, max_size: int = 4) -> None:
        self.backend = backend
        self.pool: FreshConnectionPool[psycopg.Connection[tuple[Any, ...]]] = FreshConnectionPool(
            backend.conninfo,
            min_size=1,
            max_size=max_size,
            open=True,
            kwargs={"autocommit": False},
        )

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            yield cursor

    def alone(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one statement that needs no transaction (`nextval`, say): one round
        trip, where `transaction()` pays three (BEGIN, the statement, COMMIT). It must be
        one that may run twice: it is run again if its connection is lost on the way."""
        return repeated_if_lost(lambda: self.run_alone(sql, params))

    def run_alone(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.pool.connection() as conn:
            conn.autocommit = True
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.autocommit = False

    def close(self) -> None:
        self.pool.close()


class PostgresQuery:
    """Reads from an async pool. A read whose connection turns out dead (PostgreSQL
    restarted, its backend terminated) is read again on another: a query changes nothing,
    so nothing is lost by sending it twice. Checking every connection as it is handed out
    would cost a round trip per request instead."""

    def __init__(self, conninfo: str, size: int) -> None:
        # Autocommit: each read is one statement, so a transaction would only add a COMMIT
        # round trip per query (and every read still sees every committed row).
        self.size = size
        self.pool = AsyncConnectionPool(
            conninfo,
            min_size=min(2, size),
            max_size=size,
            open=False,
            kwargs={"autocommit": True},
            timeout=POOL_TIMEOUT_SECONDS,
            reconnect_timeout=RECONNECT_SECONDS,  # see storage.pools
        )

    async def open(self) -> None:
        await self.pool.open(wait=True)

    async def close(self) -> None:
        await self.pool.close()

    async def __call__(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        for _ in range(self.size):  # after a restart, every pooled connection is dead
            rows = await self.read(sql, params)
            if rows is not None:
                return rows
        return await self.read(sql, params, last=True) or []

    async def read(
        self, sql: str, params: Sequence[Any], last: bool = False
    ) -> list[tuple[Any, ...]] | None:
        """The rows; None when the connection was found dead (the pool then replaces it)."""
        async with self.pool.connection() as conn:
            try:
                cursor = await conn.execute(sql, params, prepare=True)
                return await cursor.fetchall()
            except psycopg.OperationalError:
                if last or not (conn.closed or conn.broken):
                    raise
                return None


def add_generated_column(table: str, name: str, definition: str) -> str:
    """Add the column where it is missing: a new table, or a live one from an older version
    (PostgreSQL fills it for the existing rows; a plain column with a constant default costs
    nothing per row). `ADD COLUMN IF NOT EXISTS` alone would lock
    the table against reads at every start, even with the column there."""
    return (
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns "
        f"WHERE table_schema = current_schema() AND table_name = '{table}' "
        f"AND column_name = '{name}') THEN "
        f"ALTER TABLE {table} ADD COLUMN {name} {definition}; END IF; END $$"
    )


class PostgresBackend:
    """The event store, the read models and the locks in one PostgreSQL database."""

    name = "postgres"
    # The event store's table is in the read models' database: one statement reads both.
    events_beside_read_models = True
    event_number = "notification_id"
    uuid_cast = "::uuid"
    # The server reads the next pages, and Python decodes them, while it writes this one's
    # rows: two pages ahead keep the reader busy through a page's COPY and commit.
    rebuild_read_ahead = 2

    def __init__(self, address: PostgresAddress, described: str) -> None:
        self.address = address
        self.conninfo = address.conninfo()
        self.described = described

    def check_reachable(self) -> None:
        check_reachable(self.conninfo, self.described)

    def store_exists(self) -> bool:
        """orderledger's own tables are in the database (the first start makes them)."""
        with connected(self.conninfo, self.described) as conn:
            row = conn.execute("SELECT to_regclass('orderledger_tracking') IS NOT NULL").fetchone()
        return bool(row and row[0])

    def ledger_env(self, pool_size: int) -> dict[str, str]:
        p = self.address
        return {
            # eventsourcing's factory, with a pool that connects with the URL as given
            "PERSISTENCE_MODULE": event_store.TOPIC,
            event_store.CONNINFO: self.conninfo,
            "POSTGRES_DBNAME": p.dbname,
            "POSTGRES_HOST": p.host,
            "POSTGRES_PORT": str(p.port),
            "POSTGRES_USER": p.user,
            "POSTGRES_PASSWORD": p.password,
            # Connections open as threads need them: a few idle ones, up to one per command
            # thread.
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": str(max(pool_size - 2, 1)),
            "POSTGRES_LOCK_TIMEOUT": "10",
            # how long a command waits for a connection before it is answered "unavailable"
            "POSTGRES_CONNECT_TIMEOUT": str(int(POOL_TIMEOUT_SECONDS)),
            "APPLICATION_RECORDER_TOPIC": event_recorder.TOPIC,
        }

    def open_database(self, max_size: int) -> PostgresDatabase:
        self.check_reachable()
        return PostgresDatabase(self, max_size=max_size)

    def existing_ids(self, recorder: ApplicationRecorder) -> ExistingIds | None:
        assert isinstance(recorder, PostgresAggregateRecorder)  # the env above makes one
        return partial(existing_aggregates, recorder)

    def newer_events(self, recorder: ApplicationRecorder) -> NewerEvents | None:
        assert isinstance(recorder, PostgresAggregateRecorder)  # the env above makes one
        return partial(newer_events, recorder)

    def schema_extras(self) -> tuple[str, ...]:
        return SCHEMA_EXTRAS

    def lock_schema(self, cursor: Cursor) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))

    def generated_columns(self, table: str, generated: Sequence[tuple[str, str]]) -> list[str]:
        return [add_generated_column(table, name, definition) for name, definition in generated]

    def next_numbers(self, db: Database, name: str, count: int) -> list[int]:
        rows = db.alone("SELECT nextval(%s) FROM generate_series(1, %s)", (SEQUENCES[name], count))
        return sorted(int(row[0]) for row in rows)

    def insert_new(
        self, cursor: Cursor, table: str, names: Sequence[str], values: Sequence[Sequence[Any]]
    ) -> None:
        columns = ", ".join(names)
        assert isinstance(cursor, psycopg.Cursor)  # this backend's transactions give one
        if len(values) >= COPY_FROM_ROWS and not in_pipeline(cursor):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)

    def batched(self, cursor: Cursor) -> AbstractContextManager[object]:
        """psycopg's pipeline mode (in which a COPY cannot run: `insert_new` then INSERTs)."""
        assert isinstance(cursor, psycopg.Cursor)
        return cursor.connection.pipeline()

    def session_lock(self, name: str, key: int, holder: str = "") -> PostgresSessionLock:
        """Advisory lock `key`, on a connection of its own."""
        return PostgresSessionLock(self.conninfo, key, name, holder)

    def leadership(self, recorder: ApplicationRecorder) -> PostgresLeadership:
        # eventsourcing notifies on a channel named after the events table, on every commit
        channel = str(getattr(recorder, "channel_name", EVENTS_CHANNEL))
        return PostgresLeadership(self.conninfo, channel)

    def account_locks(self) -> PostgresAccountLocks:
        return PostgresAccountLocks(self.conninfo)

    def table_exists(self, cursor: Cursor, table: str) -> bool:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
        row = cursor.fetchone()
        return bool(row and row[0])

    def lock_switch(self, cursor: Cursor) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (SWITCH_LOCK,))

    def lock_for_update(
        self, cursor: Cursor, positions: Sequence[str], tables: Sequence[Sequence[str]]
    ) -> None:
        for name in positions:
            cursor.execute(
                "SELECT position FROM orderledger_tracking WHERE projection = %s FOR UPDATE",
                (name,),
            )
        for group in tables:
            cursor.execute(f"LOCK TABLE {', '.join(group)} IN ACCESS EXCLUSIVE MODE")

    def add_missing_column(self, cursor: Cursor, table: str, name: str, definition: str) -> None:
        cursor.execute(add_generated_column(table, name, definition))

    def rename_rebuilt_indexes(
        self, cursor: Cursor, rebuilt: str, live: str, indexes: Sequence[tuple[str, str]]
    ) -> None:
        # Index and constraint names keep the rebuild's prefix through a table rename;
        # give them the live names so the next rebuild can create its own again.
        cursor.execute(
            "SELECT indexname FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = %s",
            (live,),
        )
        for (name,) in cursor.fetchall():
            if str(name).startswith(rebuilt):
                renamed = live + str(name)[len(rebuilt) :]
                cursor.execute(f"ALTER INDEX {name} RENAME TO {renamed}")

    def read_only_snapshot(self, cursor: Cursor) -> None:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def read_query(self, db: Database, size: int) -> PostgresQuery:
        return PostgresQuery(self.conninfo, size)

    def event_query(self, reads: Query) -> Query:
        return reads

    def stored_id(self, aggregate_id: str) -> str:
        return aggregate_id

    def keep_private(self, db: Database) -> list[str]:
        """Nothing the store can do: the database's logins and grants decide who reads it."""
        return []

    def backup(self, target: Path) -> BackupMade:
        """PostgreSQL's own tools do it, online and consistent (docs/operations.md)."""
        raise BackupRefused(
            f"the store is {self.described}: back up with `pg_dump --format=custom` "
            "(see docs/operations.md)"
        )
