"""eventsourcing's PostgreSQL recorder, with the events of a save sent as one text literal.

The stock recorder hands psycopg a list of composite values, which it dumps field by field in
Python: about a tenth of a worker's time under `add` load went to it. Here the same
`INSERT ... FROM unnest(<array of stored events>)` statement receives the array written out
as PostgreSQL's own array-of-records text, which is a few string operations per event. The
table lock, the notification and the returned notification ids are eventsourcing's own.

A connection lost during a save leaves its outcome unknown: the COMMIT may have been carried
out. eventsourcing retries the insert on a fresh connection, which then meets the save's own
events as a conflict, and the command is decided again or fails although its events stand
(an `add` answered "active order with this link", a batch answered 503). Here the store is
asked first, once every transaction in flight has ended, whether the events are there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier
from psycopg_pool import PoolTimeout

# A lost connection (eventsourcing's names for psycopg's errors), as the library retries on.
LOST = (InterfaceError, OperationalError)
RETRY_WAIT_SECONDS = 0.2
# How long a save keeps trying to record, or to learn whether it did, before giving up.
FIND_OUT_SECONDS = 15.0
SET_LOCK_TIMEOUT = SQL("SET LOCAL lock_timeout = '5s'")
# The library's insert, without its own retry (see the module's docstring).
insert_once = cast(
    "Callable[..., Sequence[int] | None]",
    PostgresApplicationRecorder.insert_events.__wrapped__,
)

TOPIC = f"{__name__}:TextArrayRecorder"


def quoted(text: str) -> str:
    """A double-quoted element of an array or record literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def record_literal(event: StoredEvent) -> str:
    """One stored event as a record literal: (id,version,"topic","\\x<state as hex>")."""
    return (
        f"({event.originator_id},{int(event.originator_version)},"
        f"{quoted(event.topic)},{quoted(chr(92) + 'x' + bytes(event.state).hex())})"
    )


def events_literal(events: Sequence[StoredEvent]) -> str:
    """The events as the text of an array of records, as PostgreSQL reads it."""
    return "{" + ",".join(quoted(record_literal(event)) for event in events) + "}"


class TextArrayRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # eventsourcing composes this statement anew on every save
        self.notify_statement = SQL("NOTIFY {0}").format(Identifier(self.channel_name))
        table = SQL("{0}.{1}").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )
        # SHARE conflicts with the EXCLUSIVE lock every writer holds until it ends: taking
        # it waits for a COMMIT still in flight on a connection this process has lost.
        self.wait_for_writers = SQL("LOCK TABLE {0} IN SHARE MODE").format(table)
        self.find_events = SQL(
            "SELECT t.originator_id, t.originator_version, t.notification_id, t.state "
            "FROM {0} t JOIN unnest(%s::uuid[], %s::integer[]) AS k(id, version) "
            "ON t.originator_id = k.id AND t.originator_version = k.version"
        ).format(table)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return insert_once(self, stored_events, **kwargs)
        deadline = time.monotonic() + FIND_OUT_SECONDS
        while True:
            try:
                return insert_once(self, stored_events, **kwargs)
            except LOST as error:
                # No connection to be had (the pool waited already): nothing was sent.
                if isinstance(error.__cause__, PoolTimeout):
                    raise
                lost = error
            # Asked even when the time is up: this very attempt may have committed.
            recorded = self.recorded_ids(stored_events, deadline)
            if recorded is not None:
                return recorded
            if time.monotonic() > deadline:
                raise lost
            time.sleep(RETRY_WAIT_SECONDS)

    def recorded_ids(
        self, stored_events: Sequence[StoredEvent], deadline: float
    ) -> list[int] | None:
        """The notification ids of these very events if they were committed, else None;
        asked again while the database cannot be reached, until the deadline."""
        while True:
            try:
                return self.find_recorded(stored_events)
            except LOST:
                if time.monotonic() > deadline:
                    raise
                time.sleep(RETRY_WAIT_SECONDS)

    def find_recorded(self, stored_events: Sequence[StoredEvent]) -> list[int] | None:
        keys = [(UUID(str(e.originator_id)), int(e.originator_version)) for e in stored_events]
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SET_LOCK_TIMEOUT)
            curs.execute(self.wait_for_writers)
            curs.execute(self.find_events, ([k[0] for k in keys], [k[1] for k in keys]))
            rows = {
                (UUID(str(row["originator_id"])), int(row["originator_version"])): row
                for row in curs.fetchall()
            }
        first = rows.get(keys[0])
        # All of a save's events or none; the same version with other contents is another
        # writer's, which the insert will meet as a conflict, as it should.
        if first is None or bytes(first["state"]) != bytes(stored_events[0].state):
            return None
        return [int(rows[key]["notification_id"]) for key in keys]

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        curs.execute(self.notify_statement)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self.insert_events_statement, (events_literal(stored_events),))
