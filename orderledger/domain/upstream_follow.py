"""An upstream's `status` of a forwarded order, turned into the order's own reports.

Each change is recorded as the event a bot's report of it would be (Started, a delivery,
Completed, Partial with the refund of the undelivered share, Canceled with the full refund),
through the order's own command methods and their rules; what is already recorded records
nothing, so an unchanged answer leaves the order as it is.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from orderledger.domain.claims import Reporter
from orderledger.domain.money import ZERO
from orderledger.domain.order import REFILLABLE, Order, OrderStatus


class UpstreamAnswer(Protocol):
    """What the upstream said of one order (the client's `StatusAnswer`)."""

    @property
    def status(self) -> OrderStatus: ...
    @property
    def charge(self) -> Decimal | None: ...
    @property
    def start_count(self) -> int | None: ...
    @property
    def remains(self) -> int | None: ...
    @property
    def currency(self) -> str | None: ...


def follow(order: Order, answer: UpstreamAnswer, by: Reporter, now: datetime) -> Decimal:
    """Record on `order` what `answer` says changed; returns what goes back to the account."""
    if answer.charge is not None:
        order.report_upstream_cost(answer.charge, answer.currency or "")
    if order.status.is_finished:
        if answer.status is OrderStatus.REFUNDED and order.status in REFILLABLE:
            return order.refund(by, now) or ZERO
        return ZERO
    if order.is_subscription:
        return follow_subscription(order, answer.status, answer.start_count, by, now)
    remains = order.remains if answer.remains is None else max(answer.remains, 0)
    match answer.status:
        case OrderStatus.IN_PROGRESS:
            started(order, answer.start_count, by, now, always=True)
            delivered = order.charged_quantity - min(remains, order.charged_quantity)
            if delivered > order.delivered:
                order.report_delivery(delivered, by, now)
        case OrderStatus.COMPLETED:
            started(order, answer.start_count, by, now)
            return order.complete(by, now) or ZERO
        case OrderStatus.PARTIAL:
            started(order, answer.start_count, by, now)
            return stop(order, remains, by, now)
        case OrderStatus.CANCELED:
            if order.delivered:
                return stop(order, order.remains, by, now)
            return order.cancel(by, now) or ZERO
        case OrderStatus.REFUNDED:
            if not order.delivered:
                return order.cancel(by, now) or ZERO
            refund = stop(order, order.remains, by, now)
            return refund + (order.refund(by, now) or ZERO)
        case OrderStatus.FAILED:
            return order.fail("failed at the upstream", by, now) or ZERO
    return ZERO


def started(
    order: Order, start_count: int | None, by: Reporter, now: datetime, always: bool = False
) -> None:
    """The upstream has started it: Started once, with the start count it gave (0 unknown);
    an order that ended at once (`always` False) only when the answer gives a start count."""
    if order.status is not OrderStatus.IN_PROGRESS and (always or start_count):
        order.start(max(start_count or 0, 0), by, now)


def stop(order: Order, remains: int, by: Reporter, now: datetime) -> Decimal:
    """Partial with `remains` undelivered (no more than remains here); Completed if none."""
    undelivered = min(remains, order.remains)
    if undelivered <= 0:
        return order.complete(by, now) or ZERO
    return order.stop_partial(undelivered, by, now) or ZERO


def follow_subscription(
    order: Order, status: OrderStatus, start_count: int | None, by: Reporter, now: datetime
) -> Decimal:
    """A subscription is charged here per post, which the upstream does not report: its
    status is followed, its ending refunds what it still costs."""
    match status:
        case OrderStatus.IN_PROGRESS:
            started(order, start_count, by, now, always=True)
        case OrderStatus.COMPLETED | OrderStatus.PARTIAL:
            return order.complete(by, now) or ZERO
        case OrderStatus.CANCELED | OrderStatus.REFUNDED:
            return order.cancel(by, now) or ZERO
        case OrderStatus.FAILED:
            return order.fail("failed at the upstream", by, now) or ZERO
    return ZERO
