"""Claims: each order or refill is worked on by one bot at a time, for a limited lease.

A claim is a lease with an expiry. The aggregate decides: a claim on an order whose claim has
not expired is refused, so two bots racing for the same order cannot both win (the loser's
save conflicts, it reloads, sees the claim and is refused). A bot that goes silent lets its
lease run out and the work returns to the queue; a bot that needs longer renews it.

A report on an order or a refill counts only from the bot that holds its claim, or on work
nobody holds (no claim, or one that ran out); staff (the command line) may act on any.

A drip-feed order is handed out one run at a time: a claim of a drip-feed order whose current
run is fully delivered hands out the next run, and only once it is due (`interval` minutes
after the previous run was handed out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from orderledger.domain.errors import (
    ClaimTaken,
    InvalidTransition,
    NotDue,
    UnknownOrder,
    UnknownRefill,
)
from orderledger.domain.ids import refill_id
from orderledger.domain.ledger_base import LedgerBase
from orderledger.domain.order import Order
from orderledger.domain.refill import Refill


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Reporter:
    """Who sends a report: a bot by its operator name, bound to its claims, or staff."""

    name: str
    staff: bool = False


# Staff is a flag, not a name: an operator token called "staff" is still only a bot.
STAFF = Reporter("staff", staff=True)
# The server's sweep ends expired work whoever held it; the events it records name it.
SWEEP = Reporter("sweep", staff=True)


class Claimable(Protocol):
    number: int
    claimed_by: str | None

    def claim_held(self, now: datetime) -> bool: ...


def ensure_holder(work: Claimable, kind: str, by: Reporter, now: datetime) -> None:
    """Refuse a bot's report on work another bot holds an unexpired claim on."""
    if by.staff or not work.claim_held(now) or work.claimed_by == by.name:
        return
    raise ClaimTaken(f"{kind} {work.number} is claimed by {work.claimed_by}")


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
