"""The API keys orderledger uses at its upstream providers (domain/upstream.py).

Unlike our own tokens, which we only ever compare and so keep as hashes, an upstream's key is
sent with every request to it, so it is kept as written: in this table of the store, never
in an event, a log line or an answer. Whoever may read the store's tables (the database's
login, or the SQLite files' owner) may read it; nobody else can.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import psycopg

from orderledger.storage.backend import Backend
from orderledger.storage.database import Database
from orderledger.storage.settings import SettingsError

TABLE = """CREATE TABLE IF NOT EXISTS orderledger_upstream_keys (
    name TEXT PRIMARY KEY,
    api_key TEXT NOT NULL,
    stored_at TEXT NOT NULL
)"""


class UpstreamKeys:
    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, name: str, key: str) -> None:
        """Keep `key` as `name`'s, replacing one kept before."""
        with self.db.transaction() as cursor:
            cursor.execute("DELETE FROM orderledger_upstream_keys WHERE name = %s", (name,))
            cursor.execute(
                "INSERT INTO orderledger_upstream_keys (name, api_key, stored_at) "
                "VALUES (%s, %s, %s)",
                (name, key, datetime.now(UTC).isoformat()),
            )

    def get(self, name: str) -> str | None:
        with self.db.transaction() as cursor:
            cursor.execute("SELECT api_key FROM orderledger_upstream_keys WHERE name = %s", (name,))
            row = cursor.fetchone()
        return None if row is None else str(row[0])

    def names(self) -> list[str]:
        """Every upstream a key is kept for, by name."""
        with self.db.transaction() as cursor:
            cursor.execute("SELECT name FROM orderledger_upstream_keys ORDER BY name")
            return [str(row[0]) for row in cursor.fetchall()]


class AnyKept:
    """Whether a key is kept for any upstream yet, asked again and again (by `serve`, which
    starts the forwarder's process only once there is an upstream to forward to). Its own
    connection, opened once the store exists; until then, or while the database does not
    answer, or before the first start of this version has made the table, the answer is no.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.db: Database | None = None

    def __call__(self) -> bool:
        try:
            if self.db is None:
                if not self.backend.store_exists():
                    return False
                self.db = self.backend.open_database(1)
            with self.db.transaction() as cursor:
                cursor.execute("SELECT 1 FROM orderledger_upstream_keys LIMIT 1")
                kept = cursor.fetchone() is not None
        except (psycopg.Error, sqlite3.Error, SettingsError):
            return False
        if kept:
            self.close()  # asked no more: its connection goes
        return kept

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
