"""One small interface over the two databases for orderledger's own tables.

SQL is written once with `%s` placeholders; the SQLite side translates them. Both speak
`INSERT ... ON CONFLICT ... DO UPDATE`, which is all the upserts need.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import psycopg

from orderledger.storage.pools import FreshConnectionPool, repeated_if_lost
from orderledger.storage.settings import SettingsError, one_line


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...

    def fetchone(self) -> tuple[Any, ...] | None: ...


class Database(Protocol):
    dialect: str

    def transaction(self) -> Any:
        """A context manager yielding a Cursor; commits on success, rolls back on error."""
        ...

    def alone(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one statement that needs no transaction around it."""
        ...

    def close(self) -> None: ...


class PostgresDatabase:
    dialect = "postgres"

    def __init__(self, conninfo: str, max_size: int = 4) -> None:
        self.pool: FreshConnectionPool[psycopg.Connection[tuple[Any, ...]]] = FreshConnectionPool(
            conninfo,
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


class DatabaseUnavailable(SettingsError):
    """The configured PostgreSQL cannot be reached or refuses the connection."""


def check_reachable(conninfo: str, described: str) -> None:
    """Connect once, so a wrong setting is one line with libpq's reason, not a pool's
    timeout."""
    try:
        psycopg.connect(conninfo).close()
    except psycopg.Error as error:
        raise DatabaseUnavailable(f"cannot connect to {described}: {one_line(error)}") from None


class SQLiteCursor:
    """Translates %s placeholders; otherwise the sqlite3 cursor itself."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor

    @property
    def rowcount(self) -> int:
        return self.cursor.rowcount

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.cursor.execute(sql.replace("%s", "?"), tuple(params))

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> sqlite3.Cursor:
        return self.cursor.executemany(sql.replace("%s", "?"), [tuple(p) for p in params])

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.cursor.fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.cursor.fetchone()
        return row


class SQLiteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
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
