"""Queries answered straight from the read-model tables.

PostgreSQL is read through psycopg's async pool; SQLite, which has no async driver in the
standard library, in a worker thread (the backend's `read_query`). Both run the same SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar
from uuid import UUID

import anyio.to_thread
from eventsourcing.persistence import StoredEvent

from orderledger.domain.ids import order_id, refill_id
from orderledger.projections.account_balance import ACCOUNT_BALANCE, AccountBalanceRow
from orderledger.projections.base import Projection
from orderledger.projections.catalogue import CATALOGUE, ServiceRow
from orderledger.projections.order_status import ORDER_STATUS, OrderStatusRow
from orderledger.projections.refill_status import REFILL_STATUS, RefillStatusRow
from orderledger.projections.tables import Target, column_names
from orderledger.storage.backend import Query, ThreadQuery
from orderledger.storage.credentials import HOLDER_SQL, Role, lookup_params
from orderledger.views.event_tail import EventTable, events_of, stored_events

POSITION_SQL = "SELECT position FROM orderledger_tracking WHERE projection = %s"
# A balance row with the position its projection has folded the log to, read together.
BALANCE_AT_SQL = (
    f"SELECT {', '.join(column_names(Target.live(ACCOUNT_BALANCE)))}, ({POSITION_SQL}) "
    f"FROM {ACCOUNT_BALANCE.table} WHERE id = %s"
)
# Every service, disabled ones too (a newer event may enable one), each with the catalogue's
# position; one row of NULLs beside the position when there are none.
SERVICES_AT_SQL = (
    "SELECT t.position, "
    + ", ".join(f"s.{name}" for name in column_names(Target.live(CATALOGUE)))
    + f" FROM orderledger_tracking t LEFT JOIN {CATALOGUE.table} s ON 1 = 1 "
    "WHERE t.projection = %s ORDER BY s.number"
)
# Each order's `status` answer, by number.
Answers = dict[int, dict[str, str]]
# The projections of rows asked for by number (orders, refills), and each number's id.
NUMBERED: dict[str, Callable[[int], UUID]] = {
    ORDER_STATUS.name: order_id,
    REFILL_STATUS.name: refill_id,
}


Rows = TypeVar("Rows")


@dataclass(frozen=True)
class Behind(Generic[Rows]):
    """A read model's rows and the events committed past its position, which they lack."""

    rows: Rows
    newer: list[StoredEvent]


def balance_with_tail_sql(events: EventTable) -> str:
    """A balance row and the account's events past its projection's position, in one
    statement (one snapshot, one round trip): a row per newer event, or one with NULLs."""
    at = "(SELECT position FROM folded_to)"
    columns = ", ".join(f"b.{name}" for name in column_names(Target.live(ACCOUNT_BALANCE)))
    return (
        f"WITH RECURSIVE folded_to AS ({POSITION_SQL}), {events.tail_sql(at)} "
        f"SELECT {columns}, tail.version, tail.topic, tail.state "
        f"FROM {ACCOUNT_BALANCE.table} b LEFT JOIN tail ON tail.number > {at} "
        "WHERE b.id = %s ORDER BY tail.version"
    )


def numbered_with_tails_sql(projection: Projection[Any], events: EventTable) -> str:
    """The account's rows of these numbers and the events of these ids past the rows'
    position, in one statement (one snapshot, one round trip): the rows, then a row per
    newer event (its columns after the row's, which are NULL). Parameters: the projection's
    name, the ids (an array literal), the account, the numbers."""
    at = "(SELECT position FROM folded_to)"
    names = column_names(Target.live(projection))
    return (
        f"WITH RECURSIVE folded_to AS ({POSITION_SQL}), {events.tails_sql('%s::uuid[]', at)} "
        f"SELECT {', '.join(names)}, NULL::uuid, NULL::bigint, NULL::text, NULL::bytea "
        f"FROM {projection.table} WHERE account_id = %s AND number = ANY(%s) "
        f"UNION ALL SELECT {', '.join(['NULL'] * len(names))}, id, version, topic, state "
        f"FROM tails WHERE number > {at}"
    )


def numbered_at_sql(projection: Projection[Any], count: int) -> str:
    """The projection's position and the account's rows of `count` numbers (one row of NULLs
    beside the position when there are none). Parameters: the account, the numbers, the
    projection's name."""
    columns = ", ".join(f"r.{name}" for name in column_names(Target.live(projection)))
    marks = ", ".join(["%s"] * count)
    return (
        f"SELECT t.position, {columns} FROM orderledger_tracking t LEFT JOIN {projection.table} r "
        f"ON r.account_id = %s AND r.number IN ({marks}) WHERE t.projection = %s"
    )


class ReadModels:
    def __init__(self, query: Query, events: EventTable) -> None:
        self.query = query
        self.events = events
        self.balance_with_tail_sql = balance_with_tail_sql(events)
        self.numbered_with_tails_sql = {
            projection.name: numbered_with_tails_sql(projection, events)
            for projection in (ORDER_STATUS, REFILL_STATUS)
        }

    def batches_key_lookups(self) -> bool:
        """Whether the keys of the requests waiting in a worker are looked up in one shared
        query, with the answers of plain `status` and `balance` requests (`key_lookups`): it
        reads the stored answers and the events in one statement, so the event store must sit
        beside the read models (PostgreSQL's does; SQLite's is a file of its own, read in a
        thread a query at a time)."""
        return self.events.beside_read_models

    async def holder(self, token: str, role: Role) -> str | None:
        """Whose the token is in this role (an API key's account); None: nobody's."""
        rows = await self.query(HOLDER_SQL, lookup_params(token, role))
        return str(rows[0][0]) if rows else None

    async def holder_of_hash(self, hashed: str, role: Role) -> str | None:
        """Whose the token with this hash is in this role, as `holder` (a console session
        keeps the hash, never the token); None: nobody's, revoked included."""
        rows = await self.query(HOLDER_SQL, (hashed, role.value))
        return str(rows[0][0]) if rows else None

    async def account_for_key(self, key: str) -> str | None:
        return await self.holder(key, Role.API)

    async def orders(self, account_id: str, numbers: Sequence[int]) -> Behind[list[OrderStatusRow]]:
        """The account's rows of these orders and the orders' events the rows lack."""
        return await self.numbered(ORDER_STATUS, account_id, numbers)

    async def refills(
        self, account_id: str, numbers: Sequence[int]
    ) -> Behind[list[RefillStatusRow]]:
        """The account's rows of these refills and the refills' events the rows lack."""
        return await self.numbered(REFILL_STATUS, account_id, numbers)

    async def numbered(
        self, projection: Projection[Rows], account_id: str, numbers: Sequence[int]
    ) -> Behind[list[Rows]]:
        if not numbers:
            return Behind([], [])
        ids = [str(NUMBERED[projection.name](number)) for number in numbers]
        if not self.events.beside_read_models:
            read = partial(self.numbered_from_files, projection, account_id, numbers, ids)
            return await anyio.to_thread.run_sync(read)
        width = len(projection.columns)
        array = "{" + ",".join(ids) + "}"  # a literal: psycopg dumps a list item by item
        sql = self.numbered_with_tails_sql[projection.name]
        rows = await self.query(sql, (projection.name, array, account_id, list(numbers)))
        newer = events_of([row[width:] for row in rows])
        found = [projection.from_db(row[:width]) for row in rows if row[0] is not None]
        newer.sort(key=lambda event: (str(event.originator_id), event.originator_version))
        return Behind(found, newer)

    def numbered_from_files(
        self,
        projection: Projection[Rows],
        account_id: str,
        numbers: Sequence[int],
        ids: Sequence[str],
    ) -> Behind[list[Rows]]:
        """SQLite: the rows with their position, then the events past it from the event
        store's own file, both in one trip to a worker thread."""
        assert isinstance(self.query, ThreadQuery) and isinstance(self.events.query, ThreadQuery)
        sql = numbered_at_sql(projection, len(numbers))
        rows = self.query.run(sql, (account_id, *numbers, projection.name))
        position = int(rows[0][0]) if rows else 0
        found = [projection.from_db(row[1:]) for row in rows if row[1] is not None]
        tail_sql = self.events.aggregates_after_sql(len(ids))
        newer = self.events.query.run(tail_sql, self.events.aggregates_after_params(ids, position))
        return Behind(found, events_of(newer))

    async def balance(self, account_id: str) -> Behind[AccountBalanceRow] | None:
        """The account's row and its events the row lacks; None before its first projection."""
        width = len(ACCOUNT_BALANCE.columns)
        if self.events.beside_read_models:
            stored = self.events.originator(account_id)
            params = (ACCOUNT_BALANCE.name, stored, stored, account_id)
            rows = await self.query(self.balance_with_tail_sql, params)
            if not rows:
                return None
            newer = stored_events(UUID(account_id), [row[width:] for row in rows])
            return Behind(ACCOUNT_BALANCE.from_db(rows[0][:width]), newer)
        rows = await self.query(BALANCE_AT_SQL, (ACCOUNT_BALANCE.name, account_id))
        if not rows:
            return None
        position = int(rows[0][width])
        newer = await self.events.aggregate_after(account_id, position)
        return Behind(ACCOUNT_BALANCE.from_db(rows[0][:width]), newer)

    async def services(self) -> Behind[list[ServiceRow]]:
        """Every service (disabled too) and the catalogue's events the rows lack."""
        rows = await self.query(SERVICES_AT_SQL, (CATALOGUE.name,))
        position = int(rows[0][0]) if rows else 0
        services = [CATALOGUE.from_db(row[1:]) for row in rows if row[1] is not None]
        newer = await self.events.topics_after(position, CATALOGUE.topics)
        return Behind(services, newer)
