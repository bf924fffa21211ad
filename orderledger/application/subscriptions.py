"""Subscriptions: charged post by post, as the bots report them.

An order of a Subscriptions service waits for posts of its `username`. Each post a bot
reports is a delivery of between the order's `min` and `max`, charged at once at
rate × quantity / 1000 (the rate fixed when the order was placed), until `posts` are used up
(the order then completes by itself) or `expiry` passes (the queue's sweep completes it).

A prepaid account that cannot pay for a post: the report is refused with
`NotEnoughFunds` and nothing is recorded, so the bot must not deliver that post; the
subscription stays open and takes the next post once the account is funded.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from orderledger.application.ledger_base import LedgerBase
from orderledger.domain.claims import STAFF, SWEEP, Reporter, ensure_holder, utc_now
from orderledger.domain.errors import (
    InvalidTransition,
    NotEnoughFunds,
    UnknownOrder,
)
from orderledger.domain.money import ZERO, charge_for
from orderledger.domain.order import Order


class Subscriptions(LedgerBase):
    def _subscription(self, number: int) -> Order:
        order = self.order(number)
        if order is None:
            raise UnknownOrder(str(number))
        if not order.is_subscription:
            raise InvalidTransition(f"order {number} is not a subscription")
        return order

    def post_rate(self, order: Order) -> Decimal:
        """The service's rate when the order was placed: kept in its details since placing
        keeps it, else (an order placed before that) read from the service's own history."""
        fixed = order.details.get("rate")
        if fixed is not None:
            return Decimal(str(fixed))
        service = self.service_as_at(order.service_number, order.created_on)
        return service.rate if service is not None else ZERO

    def report_post(
        self,
        number: int,
        post: str,
        quantity: int,
        now: datetime | None = None,
        by: Reporter = STAFF,
    ) -> Order:
        post = post.strip()
        if not post:
            raise InvalidTransition("post must name the post delivered to")
        moment = now or utc_now()

        def decide() -> Order:
            order = self._subscription(number)
            ensure_holder(order, "order", by, moment)
            if post in order.posts:
                if order.posts[post] == quantity:
                    return order  # the same report again
                raise InvalidTransition(
                    f"post {post} was already reported with quantity {order.posts[post]}"
                )
            if order.status.is_finished:
                raise InvalidTransition(f"order {number} is already {order.status.value}")
            ends_at = order.subscription_ends_at()
            if ends_at is not None and moment >= ends_at:
                raise InvalidTransition(f"subscription {number} expired at {ends_at}")
            low, high = int(order.details["min"]), int(order.details["max"])
            if not low <= quantity <= high:
                raise InvalidTransition(f"quantity per post must be between {low} and {high}")
            charge = charge_for(self.post_rate(order), quantity, flat=False)
            account = self.account(order.account_id)
            if not account.can_pay(charge):
                raise NotEnoughFunds(str(charge))
            order.record_post(post=post, quantity=quantity, charge=charge, by=by.name)
            if charge:
                account.record_charge(order_number=order.number, amount=charge)
            ended = None
            if order.posts_left == 0:
                order.trigger_event(Order.Completed, refund=ZERO, by=by.name)
                ended = self.freed_link(order)
            self.save(order, account, ended)
            return order

        return self.retrying(decide)

    def end_subscription(
        self, number: int, now: datetime | None = None, by: Reporter = SWEEP
    ) -> Order:
        """Complete a subscription whose expiry has passed (what it charged stays charged)."""
        moment = now or utc_now()

        def decide() -> Order:
            order = self._subscription(number)
            if order.status.is_finished:
                return order
            ends_at = order.subscription_ends_at()
            if ends_at is None or moment < ends_at:
                raise InvalidTransition(f"subscription {number} has not expired")
            order.trigger_event(Order.Completed, refund=ZERO, by=by.name)
            self.save(order, self.freed_link(order))
            return order

        return self.retrying(decide)
