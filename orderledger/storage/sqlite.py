"""SQLite, embedded: everything orderledger does differently on it, in `SQLiteBackend`.

The event store is a file of its own (`events.sqlite`, eventsourcing's), the read models
another (`ledger.sqlite`); the locks are files beside them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio.to_thread
from eventsourcing.persistence import ApplicationRecorder

from orderledger.storage.backend import ExistingIds, NewerEvents, Query
from orderledger.storage.database import Cursor, Database
from orderledger.storage.leadership import FileLeadership
from orderledger.storage.locks import FileLock
from orderledger.storage.sqlite_backup import BackupMade, backup_store

SCHEMA_EXTRAS = (
    """CREATE TABLE IF NOT EXISTS orderledger_sequences (
        name TEXT PRIMARY KEY,
        value BIGINT NOT NULL
    )""",
)
# SQLite has no sequences: a counter row per name, bumped in its own write transaction.
SQLITE_NEXT = (
    "INSERT INTO orderledger_sequences (name, value) VALUES (%s, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = orderledger_sequences.value + 1 "
    "RETURNING value"
)


def qmarks(sql: str) -> str:
    """SQL written with `%s` placeholders, as sqlite3 takes them."""
    return sql.replace("%s", "?")


class SQLiteCursor:
    """Translates %s placeholders; otherwise the sqlite3 cursor itself."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor

    @property
    def rowcount(self) -> int:
        return self.cursor.rowcount

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.cursor.execute(qmarks(sql), tuple(params))

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> sqlite3.Cursor:
        return self.cursor.executemany(qmarks(sql), [tuple(p) for p in params])

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.cursor.fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.cursor.fetchone()
        return row


class SQLiteDatabase:
    def __init__(self, path: Path, backend: SQLiteBackend) -> None:
        self.path = path
        self.backend = backend
        path.parent.mkdir(parents=True, exist_ok=True)
        self.local = threading.local()
        self.connections: list[sqlite3.Connection] = []
        self.lock = threading.Lock()

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self.local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
            self.local.conn = conn
            with self.lock:
                self.connections.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        conn = self.connection()
        cursor = conn.cursor()
        # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking.
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield SQLiteCursor(cursor)
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def alone(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.transaction() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def close(self) -> None:
        with self.lock:
            for conn in self.connections:
                conn.close()
            self.connections.clear()
        self.local = threading.local()


class SQLiteQuery:
    """Reads in a worker thread: the standard library has no async driver."""

    def __init__(self, db: SQLiteDatabase, owned: bool = False) -> None:
        self.db = db
        self.owned = owned  # opened for these reads alone: closed with them

    def run(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor = self.db.connection().execute(qmarks(sql), tuple(params))
        return cursor.fetchall()

    async def __call__(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return await anyio.to_thread.run_sync(partial(self.run, sql, params))

    async def open(self) -> None:
        """Nothing: a thread's connection opens on its first read."""

    async def close(self) -> None:
        if self.owned:
            self.db.close()


class SQLiteBackend:
    """The embedded store under `data_dir`."""

    name = "sqlite"
    # The event store is a file of its own: its events are read apart from the read models.
    events_beside_read_models = False
    event_number = "rowid"
    uuid_cast = ""
    # One page after the other: a read here is this process's own work, with no server to
    # wait on meanwhile, so reading ahead in a thread would gain little.
    rebuild_read_ahead = 0

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.events_path = data_dir / "events.sqlite"

    def check_reachable(self) -> None:
        """Nothing: the files are made where they are missing."""

    def store_exists(self) -> bool:
        """The event store's file is there (the read models can be rebuilt from it)."""
        return self.events_path.is_file()

    def ledger_env(self, pool_size: int) -> dict[str, str]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(self.events_path),
            "SQLITE_LOCK_TIMEOUT": "30",
        }

    def open_database(self, max_size: int) -> SQLiteDatabase:
        return SQLiteDatabase(self.data_dir / "ledger.sqlite", self)

    def existing_ids(self, recorder: ApplicationRecorder) -> ExistingIds | None:
        return None  # each aggregate is looked up on its own

    def newer_events(self, recorder: ApplicationRecorder) -> NewerEvents | None:
        return None  # each aggregate is fast-forwarded on its own

    def schema_extras(self) -> tuple[str, ...]:
        return SCHEMA_EXTRAS

    def lock_schema(self, cursor: Cursor) -> None:
        """Nothing: the transaction (BEGIN IMMEDIATE) holds the write lock."""

    def generated_columns(self, table: str, generated: Sequence[tuple[str, str]]) -> list[str]:
        return []  # SQLite's read models are read without them

    def next_numbers(self, db: Database, name: str, count: int) -> list[int]:
        return [int(db.alone(SQLITE_NEXT, (name,))[0][0]) for _ in range(count)]

    def insert_new(
        self, cursor: Cursor, table: str, names: Sequence[str], values: Sequence[Sequence[Any]]
    ) -> None:
        marks = ", ".join(["%s"] * len(names))
        cursor.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", values)

    def batched(self, cursor: Cursor) -> AbstractContextManager[object]:
        """Nothing to save: the database is in this process."""
        return nullcontext()

    def session_lock(self, name: str, key: int, holder: str = "") -> FileLock:
        """The file `name`.lock beside the store."""
        return FileLock(self.data_dir / f"{name}.lock", holder)

    def leadership(self, recorder: ApplicationRecorder) -> FileLeadership:
        return FileLeadership(self.data_dir / "projector.lock")

    def account_locks(self) -> None:
        """None: SQLite's writers queue for its one write lock anyway."""

    def table_exists(self, cursor: Cursor, table: str) -> bool:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = %s", (table,)
        )
        row = cursor.fetchone()
        return bool(row and row[0])

    def lock_switch(self, cursor: Cursor) -> None:
        """Nothing: the transaction holds the write lock."""

    def lock_for_update(
        self, cursor: Cursor, positions: Sequence[str], tables: Sequence[Sequence[str]]
    ) -> None:
        """Nothing: the transaction holds the write lock."""

    def add_missing_column(self, cursor: Cursor, table: str, name: str, definition: str) -> None:
        cursor.execute(
            f"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = %s", (name,)
        )
        row = cursor.fetchone()
        if not (row and row[0]):
            cursor.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")

    def rename_rebuilt_indexes(
        self, cursor: Cursor, rebuilt: str, live: str, indexes: Sequence[tuple[str, str]]
    ) -> None:
        # SQLite renames its automatic indexes with the table; named ones are remade.
        for suffix, columns in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {rebuilt}_{suffix}")
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {live}_{suffix} ON {live} ({columns})")

    def read_only_snapshot(self, cursor: Cursor) -> None:
        """Nothing: the transaction already holds the write lock."""

    def read_query(self, db: Database, size: int) -> SQLiteQuery:
        assert isinstance(db, SQLiteDatabase)  # the one this backend opened
        return SQLiteQuery(db)

    def event_query(self, reads: Query) -> SQLiteQuery:
        return SQLiteQuery(SQLiteDatabase(self.events_path, self), owned=True)

    def stored_id(self, aggregate_id: str) -> str:
        """32 hex digits, as eventsourcing's SQLite recorder stores it."""
        return UUID(aggregate_id).hex

    def keep_private(self, db: Database) -> list[str]:
        """The read models' file, which holds the keys, and its write-ahead log: owner only
        (SQLite gives a new log the file's own mode)."""
        assert isinstance(db, SQLiteDatabase)  # the one this backend opened
        made = []
        for path in (db.path, *(db.path.with_name(db.path.name + s) for s in ("-wal", "-shm"))):
            if path.exists() and path.stat().st_mode & 0o077:
                path.chmod(0o600)
                made.append(f"{path} is now readable by its owner only")
        return made

    def backup(self, target: Path) -> BackupMade:
        """Both files as they stood at one moment (storage/sqlite_backup.py)."""
        return backup_store(self.data_dir, target)
