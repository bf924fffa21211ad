"""An order of the network, from placement to its final status, with every refund it earned."""

from __future__ import annotations

from datetime import datetime
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


class Order(Aggregate):
    @staticmethod
    def create_id(number: int) -> UUID:
        return order_id(number)

    @event("Placed")
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
        self.posts: list[str] = []

    @property
    def remains(self) -> int:
        return max(self.charged_quantity - self.delivered, 0)

    @property
    def net_charge(self) -> Decimal:
        """What the order costs the account now: the charge less every refund."""
        return self.charge - self.refunded

    @event("Claimed")
    def record_claim(self, operator: str, expires_at: datetime) -> None:
        if self.status is OrderStatus.PENDING:
            self.status = OrderStatus.PROCESSING
        self.claimed_by = operator
        self.claim_expires_at = expires_at

    @event("ClaimReleased")
    def record_claim_released(self) -> None:
        if self.status is OrderStatus.PROCESSING:
            self.status = OrderStatus.PENDING  # back in the queue; the network sees it waiting
        self.claimed_by = None
        self.claim_expires_at = None

    @event("Started")
    def record_start(self, start_count: int) -> None:
        self.status = OrderStatus.IN_PROGRESS
        self.start_count = start_count

    @event("DeliveryReported")
    def record_delivery(self, delivered: int) -> None:
        self.status = OrderStatus.IN_PROGRESS
        self.delivered = delivered

    @event("PostDelivered")
    def record_post(self, post: str, quantity: int, charge: Decimal) -> None:
        self.status = OrderStatus.IN_PROGRESS
        self.posts.append(post)
        self.delivered += quantity
        self.charged_quantity += quantity
        self.charge += charge

    class Finished(Aggregate.Event):
        """Base of the events that end an order; refund is what goes back to the account."""

        refund: Decimal

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

    @event("CancelRequested")
    def record_cancel_request(self) -> None:
        self.cancel_requested = True

    @event("RefillRequested")
    def record_refill_request(self, refill_number: int) -> None:
        self.open_refill = refill_number

    @event("RefillClosed")
    def record_refill_closed(self, refill_number: int) -> None:
        if self.open_refill == refill_number:
            self.open_refill = None
