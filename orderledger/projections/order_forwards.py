"""Each order sent to an upstream: where it stands there (sending, forwarded, in doubt), its
upstream order id and what the upstream charges for it.

One row per order from its first `ForwardAttempted` on; orders never forwarded have none. The
forwarder finds interrupted attempts and the orders to poll here, operators the orders in
doubt (`orders list --in-doubt`). Stores older than forwarding hold none of these events: the
table starts empty there and stays so until an order is forwarded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from orderledger.domain.money import wire
from orderledger.domain.order import ForwardState, Order
from orderledger.projections.base import Projection

SENDING = ForwardState.SENDING
FORWARDED = ForwardState.FORWARDED
IN_DOUBT = ForwardState.IN_DOUBT


@dataclass(frozen=True)
class OrderForwardRow:
    id: str  # the order's id: its number is in the order_status row of the same id
    upstream: str
    upstream_service: int
    state: str  # a ForwardState's value, or "" when it is known not to be placed
    upstream_order: str  # "" until the upstream named it
    attempts: int
    doubt: str  # why it is in doubt ("" unless it is)
    cost: str  # what the upstream charges now, five places; "" until it says
    currency: str
    finished: bool  # the order has ended here: nothing left to poll
    changed_at: str  # when `state` last changed (ISO 8601, UTC)


def evolve(row: OrderForwardRow | None, event: Any) -> OrderForwardRow | None:
    at = event.timestamp.isoformat()
    if isinstance(event, Order.ForwardAttempted):
        base = row or OrderForwardRow(
            id=str(event.originator_id),
            upstream="",
            upstream_service=0,
            state="",
            upstream_order="",
            attempts=0,
            doubt="",
            cost="",
            currency="",
            finished=False,
            changed_at=at,
        )
        return replace(
            base,
            upstream=event.upstream,
            upstream_service=event.upstream_service,
            state=SENDING.value,
            upstream_order="",
            attempts=event.attempt,
            doubt="",
            changed_at=at,
        )
    if row is None:
        return None
    match event:
        case Order.Forwarded() | Order.UpstreamOrderAttached():
            return replace(
                row,
                state=FORWARDED.value,
                upstream_order=event.upstream_order,
                doubt="",
                changed_at=at,
            )
        case Order.ForwardNotPlaced():
            return replace(row, state="", doubt="", changed_at=at)
        case Order.ForwardInDoubt():
            return replace(row, state=IN_DOUBT.value, doubt=event.reason, changed_at=at)
        case Order.ForwardReopened():
            return replace(row, state="", upstream_order="", doubt="", changed_at=at)
        case Order.UpstreamCostReported():
            return replace(row, cost=wire(event.cost), currency=event.currency)
        case Order.Finished():
            return replace(row, finished=True)
    return row


ORDER_FORWARDS = Projection(
    name="order_forwards",
    table="orderledger_order_forwards",
    row_type=OrderForwardRow,
    events=(
        Order.ForwardAttempted,
        Order.Forwarded,
        Order.ForwardNotPlaced,
        Order.ForwardInDoubt,
        Order.UpstreamOrderAttached,
        Order.ForwardReopened,
        Order.UpstreamCostReported,
        Order.Finished,
    ),
    evolve=evolve,
    indexed=("state", ("upstream", "state", "finished")),
)
