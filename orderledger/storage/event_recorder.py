"""eventsourcing's PostgreSQL recorder, with the events of a save sent as one text literal.

The stock recorder hands psycopg a list of composite values, which it dumps field by field in
Python: about a tenth of a worker's time under `add` load went to it. Here the same
`INSERT ... FROM unnest(<array of stored events>)` statement receives the array written out
as PostgreSQL's own array-of-records text, which is a few string operations per event. The
table lock, the notification and the returned notification ids are eventsourcing's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

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

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        curs.execute(self.notify_statement)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self.insert_events_statement, (events_literal(stored_events),))
