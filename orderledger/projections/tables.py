"""The thin table writer: one generic mapping from a projection's row type to SQL.

The same code serves both databases and any table name, so a rebuild can write its new
tables beside the live ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from orderledger.projections.base import SQL_TYPES, Projection
from orderledger.storage.backend import Backend
from orderledger.storage.database import Cursor

CHUNK = 500


@dataclass(frozen=True)
class Target:
    """Where a projection writes: its table and the name of its tracking position.

    A table `indexed_later` is made without its plain indexes (`index_statements` adds them):
    a rebuild loads every row first, and one index built over them costs less than keeping
    it up to date row by row. The primary key and unique columns are there from the start.
    """

    projection: Projection[Any]
    table: str
    tracking: str
    indexed_later: bool = False

    @classmethod
    def live(cls, projection: Projection[Any]) -> Target:
        return cls(projection, projection.table, projection.name)


def create_statements(target: Target, backend: Backend) -> list[str]:
    columns = ", ".join(
        f"{name} {SQL_TYPES[column_type]}"
        + (" PRIMARY KEY" if name == "id" else "")
        + (" UNIQUE" if name in target.projection.unique else "")
        for name, column_type in target.projection.columns
    )
    statements = [f"CREATE TABLE IF NOT EXISTS {target.table} ({columns})"]
    if not target.indexed_later:
        statements += index_statements(target)
    statements += backend.generated_columns(target.table, target.projection.postgres_generated)
    return statements


def index_statements(target: Target) -> list[str]:
    """The table's plain indexes, where they are missing."""
    return [
        f"CREATE INDEX IF NOT EXISTS {target.table}_{name} ON {target.table} ({columns})"
        for name, columns in target.projection.indexes
    ]


def add_missing_columns(cursor: Cursor, target: Target, backend: Backend) -> None:
    """Give a table made by an older version the columns it lacks (`added_columns`)."""
    types = dict(target.projection.columns)
    for name, value in target.projection.added_columns:
        definition = f"{SQL_TYPES[types[name]]} NOT NULL DEFAULT {value}"
        backend.add_missing_column(cursor, target.table, name, definition)


def column_names(target: Target) -> list[str]:
    return [name for name, _ in target.projection.columns]


def select_sql(target: Target) -> str:
    return f"SELECT {', '.join(column_names(target))} FROM {target.table}"


def load_rows(cursor: Cursor, target: Target, ids: Iterable[str]) -> dict[str, Any]:
    wanted = list(ids)
    rows: dict[str, Any] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        marks = ", ".join(["%s"] * len(chunk))
        cursor.execute(f"{select_sql(target)} WHERE id IN ({marks})", chunk)
        for values in cursor.fetchall():
            row = target.projection.from_db(values)
            rows[row.id] = row
    return rows


def insert_rows(cursor: Cursor, target: Target, rows: Iterable[Any], backend: Backend) -> None:
    """Write rows known to be absent from the table: no conflict check (the backend's
    fastest way: COPY on PostgreSQL when there are many).

    A duplicate id still fails loudly (the primary key), it is just not expected.
    """
    values = [target.projection.to_db(row) for row in rows]
    if values:
        backend.insert_new(cursor, target.table, column_names(target), values)


def upsert_rows(cursor: Cursor, target: Target, rows: Mapping[str, Any]) -> None:
    changed = [row for row in rows.values() if row is not None]
    removed = [key for key, row in rows.items() if row is None]
    if changed:
        names = column_names(target)
        updates = ", ".join(f"{name} = excluded.{name}" for name in names if name != "id")
        cursor.executemany(
            f"INSERT INTO {target.table} ({', '.join(names)}) "
            f"VALUES ({', '.join(['%s'] * len(names))}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}",
            [target.projection.to_db(row) for row in changed],
        )
    if removed:
        cursor.executemany(f"DELETE FROM {target.table} WHERE id = %s", [(k,) for k in removed])
