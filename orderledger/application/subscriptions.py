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
from functools import partial

from orderledger.application.ledger_base import LedgerBase
from orderledger.domain.claims import STAFF, SWEEP, Reporter, utc_now
from orderledger.domain.errors import InvalidTransition
from orderledger.domain.money import ZERO
from orderledger.domain.order import Order


class Subscriptions(LedgerBase):
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
            order = self.known_order(number)
            account = self.account(order.account_id)
            rate = partial(self.post_rate, order)
            if not order.report_post(post, quantity, rate, account, by, moment):
                return order  # the same report again
            ended = self.freed_link(order) if order.status.is_finished else None
            self.save_changed(order, account, ended)
            return order

        return self.retrying(decide)

    def end_subscription(
        self, number: int, now: datetime | None = None, by: Reporter = SWEEP
    ) -> Order:
        """Complete a subscription whose expiry has passed (what it charged stays charged)."""
        moment = now or utc_now()

        def decide() -> Order:
            order = self.known_order(number)
            if order.end_subscription(by, moment):
                self.save(order, self.freed_link(order))
            return order

        return self.retrying(decide)
