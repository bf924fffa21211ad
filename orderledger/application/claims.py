"""Claims as commands of the ledger: each loads the aggregate, lets it decide, saves it."""

from __future__ import annotations

from datetime import datetime, timedelta

from orderledger.application.ledger_base import LedgerBase
from orderledger.domain.claims import SWEEP, utc_now
from orderledger.domain.errors import (
    ClaimTaken,
    InvalidTransition,
    NotDue,
    UnknownOrder,
    UnknownRefill,
)
from orderledger.domain.ids import refill_id
from orderledger.domain.order import Order
from orderledger.domain.refill import Refill


class Claims(LedgerBase):
    def claim_order(
        self, number: int, operator: str, lease: timedelta, now: datetime | None = None
    ) -> Order:
        """Hand the order (or its next drip-feed run) to the operator for `lease`; refused
        while anyone holds it (the holder renews with `renew_claim`)."""
        moment = now or utc_now()

        def decide() -> Order:
            order = self.unfinished_order(number)
            if order.claim_held(moment):
                raise ClaimTaken(f"order {number} is claimed by {order.claimed_by}")
            run = order.run
            if order.is_drip_feed and order.runs is not None and order.run_delivered:
                due = order.next_run_due()
                if due is not None:  # a run is waiting; none waits once all are handed out
                    if order.run > 0 and moment < due:
                        raise NotDue(f"run {order.run + 1} of order {number} is due at {due}")
                    run = order.run + 1
            order.record_claim(
                operator=operator, expires_at=moment + lease, run=run, claimed_at=moment
            )
            self.save(order)
            return order

        return self.retrying(decide)

    def renew_claim(
        self, number: int, operator: str, lease: timedelta, now: datetime | None = None
    ) -> Order:
        """Extend the operator's own claim (even one that ran out, until the sweep releases
        it or another bot takes it); never hands out a new drip-feed run."""
        moment = now or utc_now()

        def decide() -> Order:
            order = self.unfinished_order(number)
            if order.claimed_by is None:
                raise InvalidTransition(f"order {number} is not claimed: claim it first")
            if order.claimed_by != operator:
                raise ClaimTaken(f"order {number} is claimed by {order.claimed_by}")
            order.record_claim(
                operator=operator, expires_at=moment + lease, run=order.run, claimed_at=moment
            )
            self.save(order)
            return order

        return self.retrying(decide)

    def release_claim(
        self, number: int, operator: str | None = None, now: datetime | None = None
    ) -> Order:
        """Return the order to the queue: the holder gives it back (operator given), or,
        with no operator, a claim that has expired is released (the queue's sweep).
        Repeating it changes nothing."""
        moment = now or utc_now()

        def decide() -> Order:
            order = self.order(number)
            if order is None:
                raise UnknownOrder(str(number))
            if order.claimed_by is None or order.status.is_finished:
                return order
            if operator is None and order.claim_held(moment):
                return order  # renewed since the sweep looked: leave it
            if operator is not None and order.claimed_by != operator:
                raise ClaimTaken(f"order {number} is claimed by {order.claimed_by}")
            order.record_claim_released(by=SWEEP.name if operator is None else operator)
            self.save(order)
            return order

        return self.retrying(decide)

    def claim_refill(
        self, number: int, operator: str, lease: timedelta, now: datetime | None = None
    ) -> Refill:
        moment = now or utc_now()

        def decide() -> Refill:
            refill = self.load(Refill, refill_id(number))
            if refill is None:
                raise UnknownRefill(str(number))
            if refill.status.is_finished:
                raise InvalidTransition(f"refill {number} is already {refill.status.value}")
            if refill.claim_held(moment) and refill.claimed_by != operator:
                raise ClaimTaken(f"refill {number} is claimed by {refill.claimed_by}")
            refill.record_claim(operator=operator, expires_at=moment + lease)
            self.save(refill)
            return refill

        return self.retrying(decide)

    def release_refill_claim(self, number: int, now: datetime | None = None) -> Refill:
        """Release a refill claim that has expired (the sweep); repeating it changes nothing."""
        moment = now or utc_now()

        def decide() -> Refill:
            refill = self.load(Refill, refill_id(number))
            if refill is None:
                raise UnknownRefill(str(number))
            if refill.claimed_by is None or refill.status.is_finished:
                return refill
            if refill.claim_held(moment):
                return refill  # claimed again since the sweep looked: leave it
            refill.record_claim_released(by=SWEEP.name)
            self.save(refill)
            return refill

        return self.retrying(decide)
