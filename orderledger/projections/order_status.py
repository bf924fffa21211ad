"""Each order as the network's `status` sees it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from orderledger.domain.order import Order, OrderStatus
from orderledger.projections.base import Projection


@dataclass(frozen=True)
class OrderStatusRow:
    id: str
    number: int
    account_id: str
    service: int
    status: str
    charge: Decimal  # what the order costs now: placed charge less refunds
    start_count: int
    quantity: int  # the charged quantity: quantity × runs
    remains: int
    currency: str
    placed_at: str


def evolve(row: OrderStatusRow | None, event: Any) -> OrderStatusRow | None:
    if isinstance(event, Order.Placed):
        return OrderStatusRow(
            id=str(event.originator_id),
            number=event.number,
            account_id=str(event.account_id),
            service=event.service_number,
            status=OrderStatus.PENDING.value,
            charge=event.charge,
            start_count=0,
            quantity=event.charged_quantity,
            remains=event.charged_quantity,
            currency=event.currency,
            placed_at=event.timestamp.isoformat(),
        )
    if row is None:
        return None
    match event:
        case Order.Claimed() if row.status == OrderStatus.PENDING.value:
            return replace(row, status=OrderStatus.PROCESSING.value)
        case Order.ClaimReleased() if row.status == OrderStatus.PROCESSING.value:
            return replace(row, status=OrderStatus.PENDING.value)
        case Order.Started():
            return replace(row, status=OrderStatus.IN_PROGRESS.value, start_count=event.start_count)
        case Order.DeliveryReported():
            return replace(
                row,
                status=OrderStatus.IN_PROGRESS.value,
                remains=max(row.quantity - event.delivered, 0),
            )
        case Order.PostDelivered():
            return replace(
                row,
                status=OrderStatus.IN_PROGRESS.value,
                quantity=row.quantity + event.quantity,
                charge=row.charge + event.charge,
            )
        case Order.Completed():
            return replace(row, status=OrderStatus.COMPLETED.value, remains=0)
        case Order.PartiallyCompleted():
            return replace(
                row,
                status=OrderStatus.PARTIAL.value,
                remains=event.remains,
                charge=row.charge - event.refund,
            )
        case Order.Finished():
            status = {
                Order.Canceled: OrderStatus.CANCELED,
                Order.Failed: OrderStatus.FAILED,
                Order.Refunded: OrderStatus.REFUNDED,
            }[type(event)]
            return replace(row, status=status.value, charge=row.charge - event.refund)
    return row


# On PostgreSQL each row also keeps the order's `status` answer, as the JSON of the answer
# `views.status_answer` defines (same fields, same order, no spaces): networks poll every
# order every minute, and building the answer at each read was most of PostgreSQL's work
# for a `status` of 100. PostgreSQL derives it from the row whenever the row is written, so
# it follows the row. A projection may not import the read side, so this is a second
# spelling of that definition, held to it byte for byte for every order state by
# tests/views/test_stored_status_answer.py. A charge stored other than as five places goes
# through `round`, as `wire` writes it (a "-0.00000" stays as it is, as it does there).
#
# A start adds the column to a table that lacks it, but never alters one that has it: a
# change to the expression needs a new column name, which existing tables then gain.
ANSWER_COLUMN = "answer_v1"
ANSWER_SQL = (
    """'{"charge":"' || CASE WHEN charge ~ '^-?(0|[1-9][0-9]*)\\.[0-9]{5}$' """
    "THEN charge ELSE round(charge::numeric, 5)::text END"
    """ || '","start_count":"' || start_count::text || '","status":' """
    """|| orderledger_json_string(status) || ',"remains":"' || remains::text """
    """|| '","currency":' || orderledger_json_string(currency) || '}'"""
)

ORDER_STATUS = Projection(
    name="order_status",
    table="orderledger_order_status",
    row_type=OrderStatusRow,
    events=(
        Order.Placed,
        Order.Claimed,
        Order.ClaimReleased,
        Order.Started,
        Order.DeliveryReported,
        Order.PostDelivered,
        Order.Finished,
    ),
    evolve=evolve,
    unique=("number",),
    # `orders list`: newest first (placed_at, then number), by any one filter; a start adds
    # them to an older table, a rebuild after its rows.
    indexed=(
        ("placed_at", "number"),
        ("status", "placed_at", "number"),
        ("account_id", "placed_at", "number"),
        ("service", "placed_at", "number"),
    ),
    postgres_generated=((ANSWER_COLUMN, f"TEXT GENERATED ALWAYS AS ({ANSWER_SQL}) STORED"),),
)
