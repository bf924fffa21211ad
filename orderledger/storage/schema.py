"""orderledger's own tables beside the event store: credentials, sequences, tracking."""

from __future__ import annotations

from collections.abc import Iterable

from orderledger.storage.database import Cursor, Database
from orderledger.storage.locks import SCHEMA_LOCK

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
)

POSTGRES_ONLY = (
    "CREATE SEQUENCE IF NOT EXISTS orderledger_order_numbers",
    "CREATE SEQUENCE IF NOT EXISTS orderledger_refill_numbers",
    # A text as a JSON string, for generated columns, which accept only immutable functions:
    # `to_json` is marked stable for all types, but quoting a text depends on no setting.
    "CREATE OR REPLACE FUNCTION orderledger_json_string(value TEXT) RETURNS TEXT "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT to_json(value)::text $$",
)

SQLITE_ONLY = (
    """CREATE TABLE IF NOT EXISTS orderledger_sequences (
        name TEXT PRIMARY KEY,
        value BIGINT NOT NULL
    )""",
)


def create_tables(db: Database, statements: Iterable[str]) -> None:
    with db.transaction() as cursor:
        lock(db, cursor)
        for statement in statements:
            cursor.execute(statement)


def lock(db: Database, cursor: Cursor) -> None:
    if db.dialect == "postgres":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))


def create_core_schema(db: Database) -> None:
    extra = POSTGRES_ONLY if db.dialect == "postgres" else SQLITE_ONLY
    create_tables(db, (*CORE_TABLES, *extra))
