"""Rows folded straight from an aggregate's events, by the projection's own fold.

Serves read-your-writes (an id `add` just returned, before the runner has projected it, or a
row the runner has not yet brought up to date) and verification: the same `evolve` as the
live tables, so the answers cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from orderledger.domain.ids import order_id, refill_id
from orderledger.projections.account_balance import ACCOUNT_BALANCE, AccountBalanceRow
from orderledger.projections.base import Projection, fold, fold_into
from orderledger.projections.catalogue import CATALOGUE, ServiceRow
from orderledger.projections.order_status import ORDER_STATUS, OrderStatusRow
from orderledger.projections.refill_status import REFILL_STATUS, RefillStatusRow
from orderledger.projections.source import Source

Row = TypeVar("Row")


def replay(ledger: Source, projection: Projection[Any], aggregate_id: UUID) -> Any:
    return fold(projection, ledger.events.get(aggregate_id)).get(str(aggregate_id))


def orders_of(ledger: Source, account_id: str, numbers: list[int]) -> dict[int, OrderStatusRow]:
    rows = {n: replay(ledger, ORDER_STATUS, order_id(n)) for n in numbers}
    return {n: row for n, row in rows.items() if row is not None and row.account_id == account_id}


def refills_of(ledger: Source, account_id: str, numbers: list[int]) -> dict[int, RefillStatusRow]:
    rows = {n: replay(ledger, REFILL_STATUS, refill_id(n)) for n in numbers}
    return {n: row for n, row in rows.items() if row is not None and row.account_id == account_id}


def balance_of(ledger: Source, account_id: str) -> AccountBalanceRow | None:
    row: AccountBalanceRow | None = replay(ledger, ACCOUNT_BALANCE, UUID(account_id))
    return row


def folded_on(
    ledger: Source, projection: Projection[Row], rows: dict[str, Row], newer: Iterable[StoredEvent]
) -> dict[str, Row]:
    """The rows with these newer events (the ones past the rows' position) folded on."""
    for stored in newer:
        event = ledger.mapper.to_domain_event(stored)
        if projection.handles(event):
            fold_into(projection, rows, event)
    return rows


def balance_past(
    ledger: Source, row: AccountBalanceRow, newer: Iterable[StoredEvent]
) -> AccountBalanceRow:
    return folded_on(ledger, ACCOUNT_BALANCE, {row.id: row}, newer)[row.id]


def services_past(
    ledger: Source, rows: list[ServiceRow], newer: Iterable[StoredEvent]
) -> list[ServiceRow]:
    """The enabled services, by number, with the newer events folded on."""
    services = folded_on(ledger, CATALOGUE, {row.id: row for row in rows}, newer)
    return sorted((row for row in services.values() if row.enabled), key=lambda row: row.number)


def orders_past(
    ledger: Source, rows: list[OrderStatusRow], newer: Iterable[StoredEvent]
) -> dict[int, OrderStatusRow]:
    """The orders, by number, with the newer events folded on: the rows' orders and any
    these events place (every account's: the caller keeps its own)."""
    folded = folded_on(ledger, ORDER_STATUS, {row.id: row for row in rows}, newer)
    return {row.number: row for row in folded.values()}


def refills_past(
    ledger: Source, rows: list[RefillStatusRow], newer: Iterable[StoredEvent]
) -> dict[int, RefillStatusRow]:
    """The refills, by number, with the newer events folded on (every account's)."""
    folded = folded_on(ledger, REFILL_STATUS, {row.id: row for row in rows}, newer)
    return {row.number: row for row in folded.values()}
