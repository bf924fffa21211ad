"""The events a read model has not folded yet, read from the event store's own table.

A read model's rows reflect exactly the events up to its tracking position: the projector
writes rows and position in one transaction, and so does a rebuild's switch. `balance`,
`services`, `status` and `refill_status` read the rows with that position, then the events
past it, and fold those on with the projection's own `evolve` (`replay.py`): every answer
includes each event committed before the request arrived, however far behind the projector
is, and costs nothing more than an index probe when it is not behind.

The event store is PostgreSQL's own table in the same database, or SQLite's in a file of
its own (`events.sqlite`), where events are numbered by their rowid.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from orderledger.storage.backend import Backend, Query

PAGE = 1000


@dataclass(frozen=True)
class EventTable:
    query: Query
    table: str
    backend: Backend

    @property
    def beside_read_models(self) -> bool:
        """In the read models' database: one statement reads both."""
        return self.backend.events_beside_read_models

    @property
    def number(self) -> str:
        """The column that numbers the events in commit order."""
        return self.backend.event_number

    def originator(self, aggregate_id: str) -> str:
        """An aggregate's id as this table stores it (SQLite: 32 hex digits)."""
        return self.backend.stored_id(aggregate_id)

    def tail_sql(self, position: str) -> str:
        """One aggregate's events numbered past `position` (an SQL expression), oldest first.

        Walked back from its latest version one version at a time (versions are
        consecutive, and an aggregate's events are numbered in version order), so an
        aggregate with a long history costs one probe of the primary key when nothing of it
        is past the position, and one more per event that is.
        """
        cast = self.backend.uuid_cast
        return (
            "tail(version, number, topic, state) AS ("
            "SELECT * FROM (SELECT originator_version, "
            f"{self.number}, topic, state FROM {self.table} "
            f"WHERE originator_id = %s{cast} ORDER BY originator_version DESC LIMIT 1) AS latest "
            "UNION ALL "
            f"SELECT e.originator_version, e.{self.number}, e.topic, e.state "
            f"FROM tail JOIN {self.table} e ON e.originator_id = %s{cast} "
            f"AND e.originator_version = tail.version - 1 WHERE tail.number > {position})"
        )

    def anything_past_sql(self, position: str) -> str:
        """Whether any event at all is numbered past `position`: one probe of the numbering
        index, made once per statement (it depends on nothing of the rows around it). As
        `max`, which PostgreSQL always reads from the index's end: as `EXISTS`, with the
        position unknown when it plans, it may scan the whole table to find nothing."""
        return f"(SELECT max({self.number}) FROM {self.table}) > {position}"

    def behind_sql(self, stored_id: str, position: str) -> str:
        """Whether the aggregate whose stored id is `stored_id` (an SQL expression) has events
        numbered past `position`. Nothing past it at all, the common case, costs the one
        probe of `anything_past_sql`; otherwise one probe of the primary key per aggregate,
        from its latest version (an aggregate's events are numbered in version order)."""
        latest = (
            f"(SELECT {self.number} FROM {self.table} WHERE originator_id = {stored_id} "
            "ORDER BY originator_version DESC LIMIT 1)"
        )
        return f"CASE WHEN {self.anything_past_sql(position)} THEN {latest} > {position} END"

    def tails_sql(self, stored_ids: str, position: str) -> str:
        """`tails(id, version, number, topic, state)`: the events of each aggregate of
        `stored_ids` (an SQL array) numbered past `position` (an SQL expression), and each
        one's latest event; walked back as `tail_sql`, only when anything is past it."""
        return (
            "tails(id, version, number, topic, state) AS ("
            f"SELECT a.id, latest.* FROM unnest({stored_ids}) AS a(id) CROSS JOIN LATERAL "
            f"(SELECT originator_version, {self.number}, topic, state FROM {self.table} "
            "WHERE originator_id = a.id ORDER BY originator_version DESC LIMIT 1) AS latest "
            f"WHERE {self.anything_past_sql(position)} "
            "UNION ALL "
            "SELECT tails.id, previous.* FROM tails CROSS JOIN LATERAL "
            f"(SELECT originator_version, {self.number}, topic, state FROM {self.table} "
            "WHERE originator_id = tails.id AND originator_version = tails.version - 1 "
            # LIMIT: a probe of the key per aggregate, never a hash of the whole table
            f"LIMIT 1) AS previous WHERE tails.number > {position})"
        )

    def aggregates_after_sql(self, count: int) -> str:
        """The events of `count` aggregates numbered past a position, each one's oldest
        first. Parameters: `aggregates_after_params`."""
        marks = ", ".join(["%s"] * count)
        return (
            "SELECT originator_id, originator_version, topic, state "
            f"FROM {self.table} WHERE originator_id IN ({marks}) AND {self.number} > %s "
            "ORDER BY originator_id, originator_version"
        )

    def aggregates_after_params(self, aggregate_ids: Sequence[str], position: int) -> list[Any]:
        return [*map(self.originator, aggregate_ids), position]

    async def aggregate_after(self, aggregate_id: str, position: int) -> list[StoredEvent]:
        """The aggregate's events numbered past `position`, oldest first."""
        stored = self.originator(aggregate_id)
        rows = await self.query(
            f"WITH RECURSIVE {self.tail_sql('%s')} "
            "SELECT version, topic, state FROM tail WHERE number > %s ORDER BY version",
            [stored, stored, position, position],
        )
        return stored_events(UUID(aggregate_id), rows)

    async def topics_after(self, position: int, topics: Collection[str]) -> list[StoredEvent]:
        """Every event of these topics numbered past `position`, in log order."""
        marks = ", ".join(["%s"] * len(topics))
        sql = (
            f"SELECT {self.number}, originator_id, originator_version, topic, state "
            f"FROM {self.table} WHERE {self.number} > %s AND topic IN ({marks}) "
            f"ORDER BY {self.number} LIMIT {PAGE}"
        )
        found: list[StoredEvent] = []
        while True:
            rows = await self.query(sql, [position, *sorted(topics)])
            found += [
                StoredEvent(as_uuid(originator), int(version), str(topic), bytes(state))
                for _, originator, version, topic, state in rows
            ]
            if len(rows) < PAGE:
                return found
            position = int(rows[-1][0])


def as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def events_of(rows: Sequence[Sequence[Any]]) -> list[StoredEvent]:
    """(originator id, version, topic, state) rows of any aggregates; NULL rows skipped."""
    return [
        StoredEvent(as_uuid(originator), int(version), str(topic), bytes(state))
        for originator, version, topic, state in rows
        if originator is not None
    ]


def stored_events(aggregate_id: UUID, rows: Sequence[Sequence[Any]]) -> list[StoredEvent]:
    """(version, topic, state) rows of one aggregate; rows of NULLs (no event) are skipped."""
    return [
        StoredEvent(aggregate_id, int(version), str(topic), bytes(state))
        for version, topic, state in rows
        if version is not None
    ]
