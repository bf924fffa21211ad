"""An upstream's statement: every charge and refund of the orders forwarded to it, with the
running total of what it charged (the fold is projections/upstream_costs.py; the lines and
the running figure are every statement's, views/statements.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from orderledger.domain.money import ZERO
from orderledger.domain.order import Order
from orderledger.projections.upstream_costs import EVENTS, CostChange, UpstreamCosts
from orderledger.views.statements import Movement, Statement, fold_statement, statement_rows

PAGE = 1000
COLUMNS = ("time", "version", "entry", "order", "amount", "currency", "total", "note")


def forwarding_events(ledger: Application[UUID]) -> Iterator[Any]:
    """The orders' forwarding events, in the order they were committed."""
    topics = [get_topic(cls) for cls in EVENTS]
    position: int | None = None
    while True:
        page = ledger.recorder.select_notifications(
            start=position, limit=PAGE, topics=topics, inclusive_of_start=False
        )
        if not page:
            return
        for notification in page:
            yield ledger.mapper.to_domain_event(notification)
        position = page[-1].id


def order_number(ledger: Application[UUID], order_id: str) -> int | None:
    placed = next(iter(ledger.events.get(UUID(order_id), limit=1)), None)
    return placed.number if isinstance(placed, Order.Placed) else None


def upstream_statement(
    ledger: Application[UUID],
    name: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Statement:
    """Opening at zero: before its first order nothing was bought from it."""
    costs = UpstreamCosts()
    number_of = cache(lambda order_id: order_number(ledger, order_id))
    currencies: list[str] = []

    def movement(event: Any) -> Movement | None:
        change = costs.add(event)
        if change is None or change.upstream != name:
            return None
        if change.currency and change.currency not in currencies:
            currencies.append(change.currency)
        return Movement(entry(change), number_of(change.order_id), change.amount, note(change))

    statement = fold_statement(name, "", ZERO, forwarding_events(ledger), movement, start, end)
    return Statement(statement.owner, "/".join(currencies), statement.opening, statement.lines)


def entry(change: CostChange) -> str:
    return "charge" if change.amount > 0 else "refund"


def note(change: CostChange) -> str:
    return f"upstream order {change.upstream_order}" if change.upstream_order else ""


def upstream_statement_rows(
    statement: Statement, start: datetime | None = None, end: datetime | None = None
) -> list[dict[str, Any]]:
    """The statement as `upstreams statement` prints it (COLUMNS) and the console shows it:
    the running figure is the total charged, each line with the currency."""
    return [
        {**row, "currency": statement.currency}
        for row in statement_rows(statement, start, end, running="total")
    ]
