"""Prove the read models: replay every aggregate with the same folds and compare every row.

Rows and tracking positions are read in one consistent snapshot; each table is compared with
the fold of the events up to its own position, so a live projector running meanwhile cannot
cause a false difference. Each account must also add up: its row's balance against its own
totals, and the balance recomputed from its orders' charges and refunds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.utils import resolve_topic

from orderledger.domain.money import ZERO, wire
from orderledger.domain.order import Order
from orderledger.projections import failures
from orderledger.projections.account_balance import ACCOUNT_BALANCE, AccountBalanceRow
from orderledger.projections.base import Projection, fold_into
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.runner import read_positions
from orderledger.projections.source import Source
from orderledger.projections.tables import Target, select_sql
from orderledger.projections.upstream_costs import EVENTS as UPSTREAM_EVENTS
from orderledger.projections.upstream_costs import UpstreamCosts
from orderledger.storage.database import Cursor, Database

PAGE_SIZE = 1000

ORDER_EVENTS = (Order.Placed, Order.PostDelivered, Order.Finished)


@contextmanager
def snapshot(db: Database) -> Iterator[Cursor]:
    with db.transaction() as cursor:
        db.backend.read_only_snapshot(cursor)
        yield cursor


def read_tables(db: Database) -> tuple[dict[str, int], dict[str, dict[str, Any]], list[str]]:
    """Positions, rows, and the projections stopped by an event they cannot fold."""
    with snapshot(db) as cursor:
        positions = read_positions(cursor, [p.name for p in PROJECTIONS])
        stopped = failures.read(cursor, [p.name for p in PROJECTIONS])
        tables: dict[str, dict[str, Any]] = {}
        for projection in PROJECTIONS:
            cursor.execute(select_sql(Target.live(projection)))
            rows = (projection.from_db(values) for values in cursor.fetchall())
            tables[projection.name] = {row.id: row for row in rows}
    return positions, tables, [str(failure) for failure in stopped.values()]


@dataclasses.dataclass
class OrderMoney:
    """Each account's charges and refunds as its orders recorded them."""

    account_of: dict[str, str] = dataclasses.field(default_factory=dict)  # order id -> account
    charges: dict[str, Decimal] = dataclasses.field(default_factory=dict)
    refunds: dict[str, Decimal] = dataclasses.field(default_factory=dict)

    def add(self, event: Any) -> None:
        order = str(event.originator_id)
        if isinstance(event, Order.Placed):
            self.account_of[order] = str(event.account_id)
        account = self.account_of.get(order)
        if account is None:
            return
        if isinstance(event, Order.Placed | Order.PostDelivered):
            self.charges[account] = self.charges.get(account, ZERO) + event.charge
        elif isinstance(event, Order.Finished):
            self.refunds[account] = self.refunds.get(account, ZERO) + event.refund


def events_until(
    ledger: Source, head: int, progress: Callable[[int], object] | None
) -> Iterator[tuple[int, Any]]:
    classes = tuple(c for p in PROJECTIONS for c in p.events) + ORDER_EVENTS + UPSTREAM_EVENTS
    wanted = cache(lambda topic: issubclass(resolve_topic(topic), classes))
    position = 0
    while position < head:
        page = ledger.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, stop=head, inclusive_of_start=False
        )
        if not page:
            return
        for notification in page:
            if wanted(notification.topic):
                yield notification.id, ledger.mapper.to_domain_event(notification)
        position = page[-1].id
        if progress is not None:
            progress(len(page))


def label(projection: Projection[Any], row: Any) -> str:
    if hasattr(row, "number"):
        return f"{projection.name} number {row.number}"
    if hasattr(row, "name"):
        return f"{projection.name} {row.name!r}"
    return f"{projection.name} id {row.id}"


def shown(value: Any) -> str:
    return wire(value) if isinstance(value, Decimal) else repr(value)


def compare(
    projection: Projection[Any], table: dict[str, Any], replayed: dict[str, Any]
) -> list[str]:
    differences: list[str] = []
    for key, expected in replayed.items():
        actual = table.get(key)
        if actual is None:
            differences.append(f"{label(projection, expected)}: missing from {projection.table}")
            continue
        for field in dataclasses.fields(expected):
            want, have = getattr(expected, field.name), getattr(actual, field.name)
            if want != have:
                differences.append(
                    f"{label(projection, expected)}: {field.name} is {shown(have)} in the table, "
                    f"{shown(want)} from the events"
                )
    for key, actual in table.items():
        if key not in replayed:
            differences.append(
                f"{label(projection, actual)}: in {projection.table} but not in the events"
            )
    return differences


def check_accounts(
    table: dict[str, AccountBalanceRow], replayed: dict[str, Any], orders: OrderMoney
) -> list[str]:
    differences: list[str] = []
    for row in table.values():
        adds_up = row.credit + row.deposits + row.adjustments - row.charges + row.refunds
        if row.balance != adds_up:
            adjusted = f" + adjustments {wire(row.adjustments)}" if row.adjustments else ""
            differences.append(
                f"account {row.name!r}: balance is {wire(row.balance)} in the table, but credit "
                f"{wire(row.credit)} + deposits {wire(row.deposits)}{adjusted} − charges "
                f"{wire(row.charges)} + refunds {wire(row.refunds)} = {wire(adds_up)}"
            )
    for key, account in replayed.items():
        charged = orders.charges.get(key, ZERO)
        refunded = orders.refunds.get(key, ZERO)
        from_orders = account.credit + account.deposits + account.adjustments - charged + refunded
        if from_orders != account.balance:
            differences.append(
                f"account {account.name!r}: its orders charged {wire(charged)} and refunded "
                f"{wire(refunded)}, so the balance should be {wire(from_orders)}, "
                f"but its own events make it {wire(account.balance)}"
            )
    return differences


def order_number(ledger: Source, order: str) -> object:
    placed = next(iter(ledger.events.get(UUID(order), limit=1)), None)
    return placed.number if isinstance(placed, Order.Placed) else f"id {order}"


@dataclasses.dataclass
class UpstreamMoney:
    """Each upstream's statement total, folded as the statement folds it, beside each
    forwarded order's last reported cost, kept here on its own."""

    statements: UpstreamCosts = dataclasses.field(default_factory=UpstreamCosts)
    totals: dict[str, Decimal] = dataclasses.field(default_factory=dict)
    currencies: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    sent_to: dict[str, str] = dataclasses.field(default_factory=dict)  # order id -> upstream
    last_cost: dict[tuple[str, str], Decimal] = dataclasses.field(default_factory=dict)
    never_sent: list[str] = dataclasses.field(default_factory=list)

    def add(self, event: Any) -> None:
        order = str(event.originator_id)
        if isinstance(event, Order.ForwardAttempted):
            self.sent_to[order] = event.upstream
        elif isinstance(event, Order.UpstreamCostReported):
            upstream = self.sent_to.get(order)
            if upstream is None:
                self.never_sent.append(order)
            else:
                self.last_cost[(order, upstream)] = event.cost
                self.currencies.setdefault(upstream, set()).add(event.currency)
        change = self.statements.add(event)
        if change is not None:
            self.totals[change.upstream] = self.totals.get(change.upstream, ZERO) + change.amount

    def differences(self, ledger: Source) -> list[str]:
        differences = [
            f"order {order_number(ledger, order)}: an upstream's cost is reported, "
            "but the order was never forwarded"
            for order in self.never_sent
        ]
        costs: dict[str, Decimal] = {}
        for (_, upstream), cost in self.last_cost.items():
            costs[upstream] = costs.get(upstream, ZERO) + cost
        for upstream in sorted(costs.keys() | self.totals.keys()):
            total, cost = self.totals.get(upstream, ZERO), costs.get(upstream, ZERO)
            if total != cost:
                differences.append(
                    f"upstream {upstream!r}: its statement totals {wire(total)}, but the "
                    f"last reported costs of its orders add up to {wire(cost)}"
                )
            if len(self.currencies.get(upstream, set())) > 1:
                differences.append(
                    f"upstream {upstream!r}: costs reported in more than one currency "
                    f"({', '.join(sorted(self.currencies[upstream]))}): its total means nothing"
                )
        return differences


def verify(
    ledger: Source, db: Database, progress: Callable[[int], object] | None = None
) -> list[str]:
    """Every difference between the events and the read models, readable; empty when sound."""
    positions, tables, stopped = read_tables(db)
    head = int(ledger.recorder.max_notification_id() or 0)
    at_position: dict[str, dict[str, Any]] = {p.name: {} for p in PROJECTIONS}
    accounts_at_head: dict[str, Any] = {}
    orders = OrderMoney()
    upstreams = UpstreamMoney()
    for notification_id, event in events_until(ledger, head, progress):
        for projection in PROJECTIONS:
            if notification_id <= positions.get(projection.name, 0) and projection.handles(event):
                fold_into(projection, at_position[projection.name], event)
        if ACCOUNT_BALANCE.handles(event):
            fold_into(ACCOUNT_BALANCE, accounts_at_head, event)
        if isinstance(event, ORDER_EVENTS):
            orders.add(event)
        if isinstance(event, UPSTREAM_EVENTS):
            upstreams.add(event)
    differences = list(stopped)
    for projection in PROJECTIONS:
        differences += compare(projection, tables[projection.name], at_position[projection.name])
    differences += check_accounts(tables[ACCOUNT_BALANCE.name], accounts_at_head, orders)
    differences += upstreams.differences(ledger)
    return differences
