"""One small interface over the two databases for orderledger's own tables.

SQL is written once with `%s` placeholders; the SQLite side translates them. Both speak
`INSERT ... ON CONFLICT ... DO UPDATE`, which is all the upserts need. What else differs is
the `backend` each database carries (backend.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from orderledger.storage.backend import Backend


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...

    def fetchone(self) -> tuple[Any, ...] | None: ...


class Database(Protocol):
    @property
    def backend(self) -> Backend:
        """What differs on this database: its locks, schema, sequences, reads."""
        ...

    def transaction(self) -> Any:
        """A context manager yielding a Cursor; commits on success, rolls back on error."""
        ...

    def alone(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one statement that needs no transaction around it."""
        ...

    def close(self) -> None: ...
