"""What differs between the two databases, as one interface: `PostgresBackend` (postgres.py)
and `SQLiteBackend` (sqlite.py), as eventsourcing's own PostgresRecorder and SQLiteRecorder.

The composition root chooses one from the settings, once; everything else asks it (or the
`Database` it opened, which carries it) and never which one it is.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from orderledger.storage.database import Cursor, Database
from orderledger.storage.locks import SessionLock
from orderledger.storage.sqlite_backup import BackupMade

# One query of many rows, for a batch of aggregate ids; None where it cannot be said.
ExistingIds = Callable[[Collection[UUID]], set[UUID] | None]
# The events of many aggregates after the version given for each, in one query.
NewerEvents = Callable[[Mapping[UUID, int]], list[StoredEvent]]


class Query(Protocol):
    """An async read of the read models' database (or the event store's): one statement,
    its rows."""

    async def __call__(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...


@runtime_checkable
class ThreadQuery(Protocol):
    """A query also run synchronously, several in one trip to a worker thread (SQLite)."""

    def run(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...


class Leadership(Protocol):
    """The lock of the one live projector that leads, and how it waits for new events."""

    def acquire(self) -> bool: ...

    def wait_for_events(self, timeout: float) -> None: ...

    def interrupt(self) -> None:
        """End a wait for events early (the projector is stopping)."""
        ...

    def release(self) -> None: ...


class AccountLocks(Protocol):
    """One batch of `add`s per account at a time, across every worker process."""

    def held(self, account: UUID) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...


class Backend(Protocol):
    name: str  # "postgres" or "sqlite": for messages, never to branch on

    def check_reachable(self) -> None:
        """DatabaseUnavailable, in one line, if the database cannot be reached."""
        ...

    def store_exists(self) -> bool:
        """Whether a store was made here before (by a start), looking without making one;
        DatabaseUnavailable, in one line, if the database cannot be reached."""
        ...

    # --- opening ---
    def ledger_env(self, pool_size: int) -> dict[str, str]:
        """eventsourcing's environment for the ledger's event store."""
        ...

    def open_database(self, max_size: int) -> Database:
        """orderledger's own tables (read models, credentials, tracking)."""
        ...

    def existing_ids(self, recorder: ApplicationRecorder) -> ExistingIds | None:
        """Which of many aggregate ids have events, in one query; None if it cannot."""
        ...

    def newer_events(self, recorder: ApplicationRecorder) -> NewerEvents | None:
        """The events of many aggregates after given versions, in one query; None if it
        cannot."""
        ...

    # --- schema and sequences ---
    def schema_extras(self) -> tuple[str, ...]:
        """The statements of the core schema that only this database needs."""
        ...

    def lock_schema(self, cursor: Cursor) -> None:
        """Serialise schema creation with the other processes, for the transaction."""
        ...

    def generated_columns(self, table: str, generated: Sequence[tuple[str, str]]) -> list[str]:
        """The statements that add a projection's generated columns, where there are any."""
        ...

    def next_numbers(self, db: Database, name: str, count: int) -> list[int]:
        """`count` numbers of the named sequence, in increasing order."""
        ...

    def insert_new(
        self, cursor: Cursor, table: str, names: Sequence[str], values: Sequence[Sequence[Any]]
    ) -> None:
        """Insert rows known to be absent, with no conflict check, as fast as it can."""
        ...

    def batched(self, cursor: Cursor) -> AbstractContextManager[object]:
        """The statements on `cursor` within it go to the database together, and their
        results (an error among them) come back once, at its end: nothing within may read a
        result. It saves a round trip per statement where the database has them."""
        ...

    # --- locks ---
    def session_lock(self, name: str, key: int, holder: str = "") -> SessionLock:
        """The lock `name`, held by one process at a time, dying with its holder."""
        ...

    def leadership(self, recorder: ApplicationRecorder) -> Leadership: ...

    def account_locks(self) -> AccountLocks | None:
        """The turns of the group commit's accounts; None where writers queue anyway."""
        ...

    # --- the rebuild's switch and the verifier's snapshot ---
    def table_exists(self, cursor: Cursor, table: str) -> bool: ...

    def lock_switch(self, cursor: Cursor) -> None:
        """Take the rebuild switch's own lock (two operators' switches, one at a time)."""
        ...

    def lock_for_update(
        self, cursor: Cursor, positions: Sequence[str], tables: Sequence[Sequence[str]]
    ) -> None:
        """Lock the tracking rows `positions` (in that order), then each group of `tables`
        together; nothing where the transaction already holds the write lock."""
        ...

    def rename_rebuilt_indexes(
        self, cursor: Cursor, rebuilt: str, live: str, indexes: Sequence[tuple[str, str]]
    ) -> None:
        """After `rebuilt` was renamed to `live`: give its indexes (each its name's suffix
        and its columns) the live names."""
        ...

    def add_missing_column(self, cursor: Cursor, table: str, name: str, definition: str) -> None:
        """Add the column to a table that lacks it (one made by an older version)."""
        ...

    def read_only_snapshot(self, cursor: Cursor) -> None:
        """Make the transaction read one consistent snapshot of every table."""
        ...

    # --- the read side ---
    def read_query(self, db: Database, size: int) -> Query:
        """The views' async reads of the read models (opened by `Query.open`)."""
        ...

    def event_query(self, reads: Query) -> Query:
        """The views' reads of the event store's table (`reads` where it is beside them)."""
        ...

    events_beside_read_models: bool  # one statement can read events and read models
    event_number: str  # the column that numbers the events in commit order
    uuid_cast: str  # after a text parameter, makes it compare with the event table's ids
    # Pages of the log a rebuild reads and decodes in a thread of its own while it writes the
    # page before (0: each page read once the one before is written).
    rebuild_read_ahead: int

    def stored_id(self, aggregate_id: str) -> str:
        """An aggregate's id as the event table stores it."""
        ...

    # --- operations ---
    def keep_private(self, db: Database) -> list[str]:
        """Make what holds the store's secrets (the upstreams' keys) readable by its owner
        only, where the backend can; what it did, for the operator."""
        ...

    def backup(self, target: Path) -> BackupMade:
        """An online, consistent copy of the whole store in the new directory `target`, or
        `BackupRefused` saying why not (on PostgreSQL: pg_dump does it)."""
        ...
