"""orderledger's own tables beside the event store: credentials, sequences, tracking."""

from __future__ import annotations

from collections.abc import Iterable

from orderledger.storage.database import Cursor, Database
from orderledger.storage.upstream_checks import CREATE as UPSTREAM_CHECKS
from orderledger.storage.upstream_keys import TABLE as UPSTREAM_KEYS

CORE_TABLES = (
    """CREATE TABLE IF NOT EXISTS orderledger_credentials (
        token_hash TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        subject TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS orderledger_credentials_subject "
    "ON orderledger_credentials (role, subject)",
    """CREATE TABLE IF NOT EXISTS orderledger_tracking (
        projection TEXT PRIMARY KEY,
        position BIGINT NOT NULL
    )""",
    UPSTREAM_KEYS,
    # The operator console's signing key when ORDERLEDGER_CONSOLE_SECRET is unset: one row,
    # made by the first process that needs it (storage/console_secret.py).
    """CREATE TABLE IF NOT EXISTS orderledger_console_secret (
        id INTEGER PRIMARY KEY,
        secret TEXT NOT NULL
    )""",
    *UPSTREAM_CHECKS,
)


def create_tables(db: Database, statements: Iterable[str]) -> None:
    with db.transaction() as cursor:
        lock(db, cursor)
        for statement in statements:
            cursor.execute(statement)


def lock(db: Database, cursor: Cursor) -> None:
    """Serialise schema creation with the other processes starting (see bootstrap)."""
    db.backend.lock_schema(cursor)


def create_core_schema(db: Database) -> None:
    create_tables(db, (*CORE_TABLES, *db.backend.schema_extras()))
