"""Fulfilment's commands: move orders and refills through their lifecycle.

Every report is validated against the current state and is idempotent: repeating a report
that was already recorded (a bot retrying after a timeout) records nothing and succeeds.
A bot's report is first checked against the claim (`ensure_holder`): another bot's unexpired
claim refuses it, a retry included. `by` defaults to staff, who may act on any order. Every
event a report records names its maker (`by`: the bot's name, or "staff").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate

from orderledger.application.claims import Claims
from orderledger.application.subscriptions import Subscriptions
from orderledger.domain.claims import STAFF, Reporter, ensure_holder, utc_now
from orderledger.domain.errors import InvalidTransition, UnknownOrder, UnknownRefill
from orderledger.domain.ids import refill_id
from orderledger.domain.money import ZERO, share_of
from orderledger.domain.order import Order, OrderStatus
from orderledger.domain.refill import Refill, RefillStatus


def unfinished(order: Order) -> Order:
    if order.status.is_finished:
        raise InvalidTransition(f"order {order.number} is already {order.status.value}")
    return order


class Fulfilment(Claims, Subscriptions):
    def reported_order(self, number: int, by: Reporter, now: datetime | None) -> Order:
        """The order a report is about, if `by` may report on it."""
        order = self.order(number)
        if order is None:
            raise UnknownOrder(str(number))
        ensure_holder(order, "order", by, now or utc_now())
        return order

    def _finish(
        self,
        order: Order,
        event_class: type[Order.Finished],
        refund: Decimal,
        by: Reporter,
        **facts: Any,
    ) -> Order:
        """Record the final event, return the refund to the account, free the link."""
        order.trigger_event(event_class, refund=refund, by=by.name, **facts)
        changed: list[Aggregate] = [order]
        if refund:
            account = self.account(order.account_id)
            account.record_refund(order_number=order.number, amount=refund)
            changed.append(account)
        guard = self.freed_link(order)
        if guard is not None:
            changed.append(guard)
        self.save(*changed)
        return order

    def start_order(
        self, number: int, start_count: int, by: Reporter = STAFF, now: datetime | None = None
    ) -> Order:
        if start_count < 0:
            raise InvalidTransition("start_count must not be negative")

        def decide() -> Order:
            order = self.reported_order(number, by, now)
            if order.status is OrderStatus.IN_PROGRESS:
                if order.start_count == start_count:
                    return order  # the same report again
                raise InvalidTransition(f"order {number} has already started")
            order = unfinished(order)
            order.record_start(start_count=start_count, by=by.name)
            self.save(order)
            return order

        return self.retrying(decide)

    def report_delivery(
        self, number: int, delivered: int, by: Reporter = STAFF, now: datetime | None = None
    ) -> Order:
        """Cumulative progress: never backwards, never beyond what was ordered."""

        def decide() -> Order:
            order = self.reported_order(number, by, now)
            if order.delivered == delivered and (
                order.status is OrderStatus.IN_PROGRESS or order.status.is_finished
            ):
                return order
            order = unfinished(order)
            if delivered < order.delivered:
                raise InvalidTransition(
                    f"delivered {delivered} is below the {order.delivered} already reported"
                )
            if delivered > order.charged_quantity:
                raise InvalidTransition(
                    f"delivered {delivered} is more than the {order.charged_quantity} ordered"
                )
            if delivered > order.deliverable:
                raise InvalidTransition(
                    f"delivered {delivered} is more than the {order.deliverable} of the "
                    f"{order.run} run(s) handed out so far"
                )
            order.record_delivery(delivered=delivered, by=by.name)
            self.save(order)
            return order

        return self.retrying(decide)

    def complete_order(
        self, number: int, by: Reporter = STAFF, now: datetime | None = None
    ) -> Order:
        def decide() -> Order:
            order = self.reported_order(number, by, now)
            if order.status is OrderStatus.COMPLETED:
                return order
            return self._finish(unfinished(order), Order.Completed, ZERO, by)

        return self.retrying(decide)

    def stop_partial(
        self, number: int, remains: int, by: Reporter = STAFF, now: datetime | None = None
    ) -> Order:
        """Stop a started order; refund the share that was not delivered."""

        def decide() -> Order:
            order = self.reported_order(number, by, now)
            if order.status is OrderStatus.PARTIAL and order.remains == remains:
                return order
            order = unfinished(order)
            if not 0 < remains <= order.remains:
                raise InvalidTransition(
                    f"remains must be between 1 and {order.remains} for order {number}"
                )
            refund = share_of(order.charge, remains, order.charged_quantity)
            return self._finish(order, Order.PartiallyCompleted, refund, by, remains=remains)

        return self.retrying(decide)

    def cancel_order(self, number: int, by: Reporter = STAFF, now: datetime | None = None) -> Order:
        """Cancel an order nothing was delivered of: the whole charge goes back."""

        def decide() -> Order:
            order = self.reported_order(number, by, now)
            if order.status is OrderStatus.CANCELED:
                return order
            order = unfinished(order)
            if order.delivered:
                raise InvalidTransition(
                    f"order {number} has delivered {order.delivered}: stop it as partial"
                )
            return self._finish(order, Order.Canceled, order.net_charge, by)

        return self.retrying(decide)

    def fail_order(
        self, number: int, reason: str, by: Reporter = STAFF, now: datetime | None = None
    ) -> Order:
        def decide() -> Order:
            order = self.reported_order(number, by, now)
            if order.status is OrderStatus.FAILED:
                return order
            order = unfinished(order)
            return self._finish(order, Order.Failed, order.net_charge, by, reason=reason)

        return self.retrying(decide)

    def refund_order(self, number: int, by: Reporter = STAFF, now: datetime | None = None) -> Order:
        """Refund a finished order in full (what a Partial already refunded is not repaid)."""

        def decide() -> Order:
            order = self.reported_order(number, by, now)
            if order.status is OrderStatus.REFUNDED:
                return order
            if order.status not in (OrderStatus.COMPLETED, OrderStatus.PARTIAL):
                raise InvalidTransition(
                    f"only a completed or partial order can be refunded, not {order.status.value}"
                )
            return self._finish(order, Order.Refunded, order.net_charge, by)

        return self.retrying(decide)

    # ---- refills -------------------------------------------------------------------------

    def refill(self, number: int) -> Refill:
        refill = self.load(Refill, refill_id(number))
        if refill is None:
            raise UnknownRefill(str(number))
        return refill

    def _move_refill(
        self, number: int, target: RefillStatus, by: Reporter, now: datetime | None, **facts: Any
    ) -> Refill:
        def decide() -> Refill:
            refill = self.refill(number)
            ensure_holder(refill, "refill", by, now or utc_now())
            if refill.status is target:
                return refill
            if refill.status.is_finished or (
                target is RefillStatus.IN_PROGRESS and refill.status is not RefillStatus.PENDING
            ):
                raise InvalidTransition(f"refill {number} is already {refill.status.value}")
            changed: list[Aggregate] = [refill]
            recorders: dict[RefillStatus, Callable[..., None]] = {
                RefillStatus.IN_PROGRESS: refill.record_start,
                RefillStatus.COMPLETED: refill.record_completion,
                RefillStatus.REJECTED: refill.record_rejection,
                RefillStatus.FAILED: refill.record_failure,
            }
            recorders[target](by=by.name, **facts)
            if target.is_finished:
                order = self.order(refill.order_number)
                if order is not None:
                    order.record_refill_closed(refill.number, by=by.name)
                    changed.append(order)
            self.save(*changed)
            return refill

        return self.retrying(decide)

    def start_refill(
        self, number: int, by: Reporter = STAFF, now: datetime | None = None
    ) -> Refill:
        return self._move_refill(number, RefillStatus.IN_PROGRESS, by, now)

    def complete_refill(
        self, number: int, by: Reporter = STAFF, now: datetime | None = None
    ) -> Refill:
        return self._move_refill(number, RefillStatus.COMPLETED, by, now)

    def reject_refill(
        self, number: int, reason: str = "", by: Reporter = STAFF, now: datetime | None = None
    ) -> Refill:
        return self._move_refill(number, RefillStatus.REJECTED, by, now, reason=reason)

    def fail_refill(
        self, number: int, reason: str = "", by: Reporter = STAFF, now: datetime | None = None
    ) -> Refill:
        return self._move_refill(number, RefillStatus.FAILED, by, now, reason=reason)
