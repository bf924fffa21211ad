"""An order of the network, from placement to its final status, with every refund it earned."""

from __future__ import annotations

from dataclasses import field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from orderledger.domain.ids import order_id
from orderledger.domain.money import ZERO


class OrderStatus(str, Enum):
    PENDING = "Pending"
    PROCESSING = "Processing"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"
    PARTIAL = "Partial"
    CANCELED = "Canceled"
    REFUNDED = "Refunded"
    FAILED = "Failed"

    @property
    def is_finished(self) -> bool:
        return self not in UNFINISHED


UNFINISHED = frozenset({OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.IN_PROGRESS})
REFILLABLE = frozenset({OrderStatus.COMPLETED, OrderStatus.PARTIAL})


def subscription_end(details: dict[str, Any]) -> datetime | None:
    """A subscription's `expiry` date ends at the close of that day (UTC)."""
    expiry = details.get("expiry")
    if not expiry:
        return None
    return datetime.combine(date.fromisoformat(expiry) + timedelta(days=1), time(), UTC)


class Order(Aggregate):
    @staticmethod
    def create_id(number: int) -> UUID:
        return order_id(number)

    class Placed(Aggregate.Created):
        number: int
        account_id: UUID
        currency: str
        service_number: int
        service_type: str
        link: str
        quantity: int
        runs: int | None
        interval: int | None
        charged_quantity: int
        charge: Decimal
        details: dict[str, Any]

    @event(Placed)
    def __init__(
        self,
        number: int,
        account_id: UUID,
        currency: str,
        service_number: int,
        service_type: str,
        link: str,
        quantity: int,
        runs: int | None,
        interval: int | None,
        charged_quantity: int,
        charge: Decimal,
        details: dict[str, Any],
    ) -> None:
        self.number = number
        self.account_id = account_id
        self.currency = currency
        self.service_number = service_number
        self.service_type = service_type
        self.link = link
        self.quantity = quantity
        self.runs = runs
        self.interval = interval
        self.charged_quantity = charged_quantity
        self.charge = charge
        self.details = details
        self.refunded = ZERO
        self.status = OrderStatus.PENDING
        self.start_count = 0
        self.delivered = 0
        self.cancel_requested = False
        self.claimed_by: str | None = None
        self.claim_expires_at: datetime | None = None
        self.finished_at: datetime | None = None
        self.open_refill: int | None = None
        self.posts: dict[str, int] = {}  # subscriptions: quantity delivered per post
        self.run = 0  # drip-feed: how many runs have been handed out
        self.run_handed_at: datetime | None = None

    @property
    def remains(self) -> int:
        return max(self.charged_quantity - self.delivered, 0)

    @property
    def net_charge(self) -> Decimal:
        """What the order costs the account now: the charge less every refund."""
        return self.charge - self.refunded

    @property
    def is_drip_feed(self) -> bool:
        return self.runs is not None

    @property
    def is_subscription(self) -> bool:
        return self.service_type == "Subscriptions"

    def claim_held(self, now: datetime) -> bool:
        """Someone holds a claim that has not expired: nobody else may take the order."""
        return (
            self.claimed_by is not None
            and self.claim_expires_at is not None
            and now < self.claim_expires_at
        )

    @property
    def deliverable(self) -> int:
        """The most a bot may report delivered now: a drip-feed only up to its handed-out runs."""
        if self.is_drip_feed:
            return min(self.run * self.quantity, self.charged_quantity)
        return self.charged_quantity

    @property
    def run_delivered(self) -> bool:
        return self.delivered >= self.run * self.quantity

    def next_run_due(self) -> datetime | None:
        """When the next drip-feed run may be handed out (None: no run is waiting)."""
        if not self.is_drip_feed or self.runs is None or self.run >= self.runs:
            return None
        if self.run == 0 or self.run_handed_at is None:
            return self.created_on
        return self.run_handed_at + timedelta(minutes=self.interval or 0)

    def subscription_ends_at(self) -> datetime | None:
        return subscription_end(self.details)

    @property
    def posts_left(self) -> int | None:
        """New plus old posts the network asked for; None (no limit) without `posts`, as
        Perfect Panel reads it, and for `posts=0` with no old posts."""
        if "posts" not in self.details:
            return None
        limit = int(self.details["posts"]) + int(self.details.get("old_posts", 0))
        return None if limit == 0 else max(limit - len(self.posts), 0)

    class Claimed(Aggregate.Event):
        operator: str
        expires_at: datetime
        run: int
        claimed_at: datetime | None

    @event(Claimed)
    def record_claim(
        self,
        operator: str,
        expires_at: datetime,
        run: int = 0,
        claimed_at: datetime | None = None,
    ) -> None:
        if self.status is OrderStatus.PENDING:
            self.status = OrderStatus.PROCESSING
        self.claimed_by = operator
        self.claim_expires_at = expires_at
        if run > self.run:  # this claim handed out the next drip-feed run
            self.run = run
            self.run_handed_at = claimed_at

    # `by` on a report names who made it (a bot, "staff", "sweep"); events stored before it
    # was recorded have none, and load with the default "" of the command method (the event
    # classes give their fields no defaults, as the classes the old `@event("Name")` made).

    class ClaimReleased(Aggregate.Event):
        by: str

    @event(ClaimReleased)
    def record_claim_released(self, by: str = "") -> None:
        if self.status is OrderStatus.PROCESSING:
            self.status = OrderStatus.PENDING  # back in the queue; the network sees it waiting
        self.claimed_by = None
        self.claim_expires_at = None

    class Started(Aggregate.Event):
        start_count: int
        by: str

    @event(Started)
    def record_start(self, start_count: int, by: str = "") -> None:
        self.status = OrderStatus.IN_PROGRESS
        self.start_count = start_count

    class DeliveryReported(Aggregate.Event):
        delivered: int
        by: str

    @event(DeliveryReported)
    def record_delivery(self, delivered: int, by: str = "") -> None:
        self.status = OrderStatus.IN_PROGRESS
        self.delivered = delivered
        if self.is_drip_feed and self.runs is not None and 0 < self.run < self.runs:
            if self.run_delivered:  # this run is done; the next is handed out when due
                self.claimed_by = None
                self.claim_expires_at = None

    class PostDelivered(Aggregate.Event):
        post: str
        quantity: int
        charge: Decimal
        by: str

    @event(PostDelivered)
    def record_post(self, post: str, quantity: int, charge: Decimal, by: str = "") -> None:
        self.status = OrderStatus.IN_PROGRESS
        self.posts[post] = quantity
        self.delivered += quantity
        self.charged_quantity += quantity
        self.charge += charge

    class Finished(Aggregate.Event):
        """Base of the events that end an order; refund is what goes back to the account."""

        refund: Decimal
        by: str = field(default="", kw_only=True)  # keyword-only: subclasses add facts after it

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Order)
            aggregate.status = self.final_status()
            aggregate.refunded += self.refund
            aggregate.finished_at = self.timestamp
            aggregate.claimed_by = None
            aggregate.claim_expires_at = None

        def final_status(self) -> OrderStatus:
            raise NotImplementedError

    class Completed(Finished):
        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Order)
            aggregate.delivered = aggregate.charged_quantity
            super().apply(aggregate)

        def final_status(self) -> OrderStatus:
            return OrderStatus.COMPLETED

    class PartiallyCompleted(Finished):
        remains: int

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Order)
            aggregate.delivered = aggregate.charged_quantity - self.remains
            super().apply(aggregate)

        def final_status(self) -> OrderStatus:
            return OrderStatus.PARTIAL

    class Canceled(Finished):
        def final_status(self) -> OrderStatus:
            return OrderStatus.CANCELED

    class Failed(Finished):
        reason: str

        def final_status(self) -> OrderStatus:
            return OrderStatus.FAILED

    class Refunded(Finished):
        def final_status(self) -> OrderStatus:
            return OrderStatus.REFUNDED

    class CancelRequested(Aggregate.Event):
        pass

    @event(CancelRequested)
    def record_cancel_request(self) -> None:
        self.cancel_requested = True

    class RefillRequested(Aggregate.Event):
        refill_number: int

    @event(RefillRequested)
    def record_refill_request(self, refill_number: int) -> None:
        self.open_refill = refill_number

    class RefillClosed(Aggregate.Event):
        refill_number: int
        by: str

    @event(RefillClosed)
    def record_refill_closed(self, refill_number: int, by: str = "") -> None:
        if self.open_refill == refill_number:
            self.open_refill = None
