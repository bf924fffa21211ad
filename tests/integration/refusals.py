"""Make the test database refuse writes to a table, to see what a command says when a write
after its own recording fails."""

from __future__ import annotations

import sqlite3

import psycopg

from orderledger.storage.settings import Settings


def refuse_inserts(
    settings: Settings, sqlite_file: str, table: str, message: str, errcode: str = "P0001"
) -> None:
    """Every INSERT into `table` fails with `message` (on PostgreSQL with `errcode`, a condition
    name or SQLSTATE)."""
    if settings.postgres is None:
        with sqlite3.connect(settings.data_dir / sqlite_file) as conn:
            conn.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        return
    with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{message}' USING ERRCODE = '{errcode}'; END $$"
        )
        conn.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
