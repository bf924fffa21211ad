"""Claiming work for a bot: the oldest due candidates, each decided by its aggregate.

The queue table may lag the log by a moment; that only costs a refused attempt, never a
double hand-out, because the aggregate refuses an order somebody else holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from orderledger.application.ledger import Ledger
from orderledger.application.linked import linked_of
from orderledger.domain.claims import utc_now
from orderledger.domain.errors import InvalidTransition, UnknownOrder, UnknownRefill
from orderledger.domain.order import Order
from orderledger.domain.refill import Refill
from orderledger.projections.work_queue import ORDER, REFILL
from orderledger.storage.database import Database
from orderledger.views import work_queue as queue

DEFAULT_LEASE = timedelta(minutes=15)
MAX_CLAIM = 100


def paged(find: Callable[[int], list[int]], pages: int | None) -> Iterator[int]:
    """Every number `find(after)` pages through, up to `pages` pages."""
    after, done = 0, 0
    while pages is None or done < pages:
        page = find(after)
        if not page:
            return
        yield from page
        after, done = page[-1], done + 1


@dataclass(frozen=True)
class WorkClaims:
    ledger: Ledger
    db: Database

    def sweep(self, now: datetime | None = None, pages: int | None = None) -> None:
        """Return silent bots' work to the queue and end subscriptions whose expiry passed;
        `pages` bounds the work (a claim request's sweep), None goes through all of it."""
        moment = now or utc_now()
        for number in paged(partial(queue.expired_subscriptions, self.db, moment), pages):
            try:
                self.ledger.end_subscription(number, moment)
            except (InvalidTransition, UnknownOrder):
                continue  # already finished, or the table lags: the next sweep sees it
        for number in paged(partial(queue.expired_claims, self.db, ORDER, moment), pages):
            try:
                self.ledger.release_claim(number, now=moment)
            except (InvalidTransition, UnknownOrder):
                continue
        for number in paged(partial(queue.expired_claims, self.db, REFILL, moment), pages):
            try:
                self.ledger.release_refill_claim(number, moment)
            except UnknownRefill:
                continue

    def claim_orders(
        self,
        operator: str,
        limit: int = 1,
        services: Sequence[int] = (),
        lease: timedelta = DEFAULT_LEASE,
        now: datetime | None = None,
    ) -> list[Order]:
        moment = now or utc_now()
        self.sweep(moment, pages=1)
        claimed: list[Order] = []
        after = 0
        forwarded = sorted(linked_of(self.ledger).current())  # the upstreams' orders
        while len(claimed) < limit:
            page = queue.claimable(self.db, ORDER, moment, after, services, forwarded)
            if not page:
                break
            for number in page:
                after = number
                try:
                    claimed.append(self.ledger.claim_order(number, operator, lease, moment))
                except (InvalidTransition, UnknownOrder):
                    continue  # another bot was faster, or its next run is not due yet
                if len(claimed) == limit:
                    break
        return claimed

    def claim_refills(
        self,
        operator: str,
        limit: int = 1,
        lease: timedelta = DEFAULT_LEASE,
        now: datetime | None = None,
    ) -> list[Refill]:
        moment = now or utc_now()
        claimed: list[Refill] = []
        after = 0
        while len(claimed) < limit:
            page = queue.claimable(self.db, REFILL, moment, after)
            if not page:
                break
            for number in page:
                after = number
                try:
                    claimed.append(self.ledger.claim_refill(number, operator, lease, moment))
                except (InvalidTransition, UnknownRefill):
                    continue
                if len(claimed) == limit:
                    break
        return claimed

    def cancel_requests(self) -> list[Order]:
        """The network's cancel requests for the bots (those of forwarded orders, and of
        linked services' orders, are the forwarder's)."""
        linked = linked_of(self.ledger).current()
        orders = (self.ledger.order(n) for n in queue.cancel_requests(self.db))
        return [
            o
            for o in orders
            if o is not None
            and not o.status.is_finished
            and o.forward_state is None
            and o.service_number not in linked
        ]
