"""Fulfilment's commands: move orders and refills through their lifecycle.

Every report is validated against the current state and is idempotent: repeating a report
that was already recorded (a bot retrying after a timeout) records nothing and succeeds.
A bot's report is first checked against the claim (`ensure_holder`): another bot's unexpired
claim refuses it, a retry included. `by` defaults to staff, who may act on any order. Every
event a report records names its maker (`by`: the bot's name, or "staff"). The rules are
the aggregates' own (`Order.start`, `Order.cancel`, `Refill.complete`, ...); a command here
loads, lets the aggregate decide, and saves what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from eventsourcing.domain import Aggregate

from orderledger.application.claims import Claims
from orderledger.application.subscriptions import Subscriptions
from orderledger.domain.claims import STAFF, Reporter, utc_now
from orderledger.domain.errors import InvalidTransition
from orderledger.domain.order import Order
from orderledger.domain.refill import Refill


class Fulfilment(Claims, Subscriptions):
    def _ending(self, number: int, end: Callable[[Order], Decimal | None]) -> Order:
        """End the order as `end` decides; its refund goes back to the account and its link
        is freed, all in one transaction (nothing if it had already ended so)."""

        def decide() -> Order:
            order = self.known_order(number)
            refund = end(order)
            if refund is None:
                return order
            self.save_ending(order, refund, frees_link=True)
            return order

        return self.retrying(decide)

    def save_ending(self, order: Order, refund: Decimal, frees_link: bool) -> None:
        """Save what the order recorded, with the refund to its account (if any) and (if it
        `frees_link`) its link freed, in one transaction."""
        changed: list[Aggregate] = [order]
        if refund:
            account = self.account(order.account_id)
            account.record_refund(order_number=order.number, amount=refund)
            changed.append(account)
        guard = self.freed_link(order) if frees_link else None
        if guard is not None:
            changed.append(guard)
        self.save(*changed)

    def start_order(
        self, number: int, start_count: int, by: Reporter = STAFF, now: datetime | None = None
    ) -> Order:
        if start_count < 0:
            raise InvalidTransition("start_count must not be negative")
        moment = now or utc_now()
        return self.on_order(number, lambda order: order.start(start_count, by, moment))

    def report_delivery(
        self, number: int, delivered: int, by: Reporter = STAFF, now: datetime | None = None
    ) -> Order:
        """Cumulative progress: never backwards, never beyond what was ordered."""
        moment = now or utc_now()
        return self.on_order(number, lambda order: order.report_delivery(delivered, by, moment))

    def complete_order(
        self, number: int, by: Reporter = STAFF, now: datetime | None = None
    ) -> Order:
        moment = now or utc_now()
        return self._ending(number, lambda order: order.complete(by, moment))

    def stop_partial(
        self, number: int, remains: int, by: Reporter = STAFF, now: datetime | None = None
    ) -> Order:
        """Stop a started order; refund the share that was not delivered."""
        moment = now or utc_now()
        return self._ending(number, lambda order: order.stop_partial(remains, by, moment))

    def cancel_order(self, number: int, by: Reporter = STAFF, now: datetime | None = None) -> Order:
        """Cancel an order nothing was delivered of: the whole charge goes back."""
        moment = now or utc_now()
        return self._ending(number, lambda order: order.cancel(by, moment))

    def fail_order(
        self, number: int, reason: str, by: Reporter = STAFF, now: datetime | None = None
    ) -> Order:
        moment = now or utc_now()
        return self._ending(number, lambda order: order.fail(reason, by, moment))

    def refund_order(self, number: int, by: Reporter = STAFF, now: datetime | None = None) -> Order:
        """Refund a finished order in full (what a Partial already refunded is not repaid)."""
        moment = now or utc_now()
        return self._ending(number, lambda order: order.refund(by, moment))

    # ---- refills -------------------------------------------------------------------------

    def _move_refill(self, number: int, by: Reporter, move: Callable[[Refill], bool]) -> Refill:
        """Move the refill as `move` decides; one that ends closes on its order."""

        def decide() -> Refill:
            refill = self.refill(number)
            if not move(refill):
                return refill
            changed: list[Aggregate] = [refill]
            if refill.status.is_finished:
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
        moment = now or utc_now()
        return self._move_refill(number, by, lambda refill: refill.start(by, moment))

    def complete_refill(
        self, number: int, by: Reporter = STAFF, now: datetime | None = None
    ) -> Refill:
        moment = now or utc_now()
        return self._move_refill(number, by, lambda refill: refill.complete(by, moment))

    def reject_refill(
        self, number: int, reason: str = "", by: Reporter = STAFF, now: datetime | None = None
    ) -> Refill:
        moment = now or utc_now()
        return self._move_refill(number, by, lambda refill: refill.reject(reason, by, moment))

    def fail_refill(
        self, number: int, reason: str = "", by: Reporter = STAFF, now: datetime | None = None
    ) -> Refill:
        moment = now or utc_now()
        return self._move_refill(number, by, lambda refill: refill.fail(reason, by, moment))
