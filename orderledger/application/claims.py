"""Claims as commands of the ledger: each loads the aggregate, lets it decide, saves it."""

from __future__ import annotations

from datetime import datetime, timedelta

from orderledger.application.ledger_base import LedgerBase
from orderledger.domain.claims import utc_now
from orderledger.domain.errors import ClaimTaken
from orderledger.domain.order import Order
from orderledger.domain.refill import Refill


class Claims(LedgerBase):
    def claim_order(
        self, number: int, operator: str, lease: timedelta, now: datetime | None = None
    ) -> Order:
        """Hand the order (or its next drip-feed run) to the operator for `lease`; refused
        while anyone holds it (the holder renews with `renew_claim`)."""
        moment = now or utc_now()

        def claim(order: Order) -> None:
            service = self.services([order.service_number]).get(order.service_number)
            if service is not None and service.upstream is not None:
                raise ClaimTaken(f"order {order.number} is for upstream {service.upstream}")
            order.claim(operator, lease, moment)

        return self.on_order(number, claim)

    def renew_claim(
        self, number: int, operator: str, lease: timedelta, now: datetime | None = None
    ) -> Order:
        """Extend the operator's own claim; never hands out a new drip-feed run."""
        moment = now or utc_now()
        return self.on_order(number, lambda order: order.renew_claim(operator, lease, moment))

    def release_claim(
        self, number: int, operator: str | None = None, now: datetime | None = None
    ) -> Order:
        """Return the order to the queue: the holder gives it back (operator given), or,
        with no operator, a claim that has expired is released (the queue's sweep).
        Repeating it changes nothing."""
        moment = now or utc_now()
        return self.on_order(number, lambda order: order.release_claim(operator, moment))

    def claim_refill(
        self, number: int, operator: str, lease: timedelta, now: datetime | None = None
    ) -> Refill:
        moment = now or utc_now()
        return self.on_refill(number, lambda refill: refill.claim(operator, lease, moment))

    def release_refill_claim(self, number: int, now: datetime | None = None) -> Refill:
        """Release a refill claim that has expired (the sweep); repeating it changes nothing."""
        moment = now or utc_now()
        return self.on_refill(number, lambda refill: refill.release_expired_claim(moment))
