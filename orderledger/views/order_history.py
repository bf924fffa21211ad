"""An order's full history: every event of the order and of its refills, in the order they
happened, each with the state it led to.

The state is folded with the read models' own `evolve` (the same fold as the live tables), so
the history can never tell a different story from `status`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from orderledger.domain.ids import order_id, refill_id
from orderledger.domain.money import wire
from orderledger.domain.order import Order
from orderledger.projections.order_status import ORDER_STATUS, OrderStatusRow
from orderledger.projections.refill_status import REFILL_STATUS, RefillStatusRow
from orderledger.views.event_facts import event_name, facts_of, who_of


class OrderNotFound(LookupError):
    pass


@dataclass(frozen=True)
class OrderState:
    """Where the order stood: what the network's `status` would have answered, and its refills."""

    status: str
    charge: str
    remains: int
    start_count: int
    refills: dict[str, str] = field(default_factory=dict)  # refill number -> its status


@dataclass(frozen=True)
class HistoryEntry:
    time: datetime
    aggregate: str  # "order 12" or "refill 3"
    version: int
    event: str  # "Order.Started"
    facts: dict[str, Any]
    state: OrderState
    who: str | None  # "network", a bot's name, "staff", "sweep"; None: not recorded


@dataclass(frozen=True)
class Margin:
    """A forwarded order's money: what the account pays for it now (`price`), what the
    upstream charges for it as it last said (`cost`, None until it says), and the difference
    when both are in one currency."""

    upstream: str
    price: Decimal
    currency: str
    cost: Decimal | None
    cost_currency: str

    @property
    def margin(self) -> Decimal | None:
        if self.cost is None or (self.cost_currency and self.cost_currency != self.currency):
            return None
        return self.price - self.cost


@dataclass(frozen=True)
class OrderHistory:
    order: int
    entries: list[HistoryEntry]
    at: datetime | None = None  # the moment asked for, if any
    money: Margin | None = None  # a forwarded order's price, cost and margin

    @property
    def state(self) -> OrderState | None:
        """The state at the moment asked for (or now); None before the order existed."""
        return self.entries[-1].state if self.entries else None


def state_of(order: OrderStatusRow, refills: dict[int, RefillStatusRow]) -> OrderState:
    return OrderState(
        status=order.status,
        charge=wire(order.charge),
        remains=order.remains,
        start_count=order.start_count,
        refills={str(number): row.status for number, row in sorted(refills.items())},
    )


def refill_numbers(order_events: list[Any]) -> list[int]:
    return [e.refill_number for e in order_events if isinstance(e, Order.RefillRequested)]


def order_history(
    ledger: Application[UUID], number: int, at: datetime | None = None
) -> OrderHistory:
    order_events: list[Any] = list(ledger.events.get(order_id(number)))
    if not order_events:
        raise OrderNotFound(f"no order {number}")
    labelled: list[tuple[Any, str]] = [(e, f"order {number}") for e in order_events]
    for refill in refill_numbers(order_events):
        labelled += [(e, f"refill {refill}") for e in ledger.events.get(refill_id(refill))]
    # Python's sort is stable: an order event and its refill's, stamped alike, keep their order.
    labelled.sort(key=lambda pair: pair[0].timestamp)

    order: OrderStatusRow | None = None
    refills: dict[int, RefillStatusRow] = {}
    entries: list[HistoryEntry] = []
    upstream: str | None = None
    cost: Order.UpstreamCostReported | None = None
    for event, aggregate in labelled:
        if at is not None and event.timestamp > at:
            break
        if isinstance(event, Order.ForwardAttempted):
            upstream = event.upstream
        elif isinstance(event, Order.UpstreamCostReported):
            cost = event
        if aggregate.startswith("order"):
            order = ORDER_STATUS.evolve(order, event)
        elif REFILL_STATUS.handles(event):  # a claim of a refill changes no status
            row = REFILL_STATUS.evolve(refills.get(_refill_number(aggregate)), event)
            if row is not None:
                refills[row.number] = row
        assert order is not None, "an order's first event is Order.Placed"
        entries.append(
            HistoryEntry(
                time=event.timestamp,
                aggregate=aggregate,
                version=event.originator_version,
                event=event_name(event),
                facts=facts_of(event),
                state=state_of(order, refills),
                who=who_of(event),
            )
        )
    money = None
    if upstream is not None and order is not None:
        money = Margin(
            upstream,
            order.charge,
            order.currency,
            None if cost is None else cost.cost,
            "" if cost is None else cost.currency,
        )
    return OrderHistory(order=number, entries=entries, at=at, money=money)


def _refill_number(aggregate: str) -> int:
    return int(aggregate.split()[1])
