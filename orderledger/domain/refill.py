"""A refill the network asked for on a finished order."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from orderledger.domain.ids import refill_id


class RefillStatus(str, Enum):
    PENDING = "Pending"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"
    REJECTED = "Rejected"
    FAILED = "Failed"

    @property
    def is_finished(self) -> bool:
        return self not in (RefillStatus.PENDING, RefillStatus.IN_PROGRESS)


class Refill(Aggregate):
    @staticmethod
    def create_id(number: int) -> UUID:
        return refill_id(number)

    class Requested(Aggregate.Created):
        number: int
        order_number: int
        account_id: UUID

    @event(Requested)
    def __init__(self, number: int, order_number: int, account_id: UUID) -> None:
        self.number = number
        self.order_number = order_number
        self.account_id = account_id
        self.status = RefillStatus.PENDING
        self.reason = ""
        self.claimed_by: str | None = None
        self.claim_expires_at: datetime | None = None

    def claim_held(self, now: datetime) -> bool:
        return (
            self.claimed_by is not None
            and self.claim_expires_at is not None
            and now < self.claim_expires_at
        )

    class Claimed(Aggregate.Event):
        operator: str
        expires_at: datetime

    @event(Claimed)
    def record_claim(self, operator: str, expires_at: datetime) -> None:
        self.claimed_by = operator
        self.claim_expires_at = expires_at

    # `by` names who made the change (a bot, "staff", "sweep"); events stored before it was
    # recorded have none, and load with the default "" of the command method (the event
    # classes give their fields no defaults, as the classes the old `@event("Name")` made).

    class ClaimReleased(Aggregate.Event):
        by: str

    @event(ClaimReleased)
    def record_claim_released(self, by: str = "") -> None:
        self.claimed_by = None
        self.claim_expires_at = None

    class Started(Aggregate.Event):
        by: str

    @event(Started)
    def record_start(self, by: str = "") -> None:
        self.status = RefillStatus.IN_PROGRESS

    class Completed(Aggregate.Event):
        by: str

    @event(Completed)
    def record_completion(self, by: str = "") -> None:
        self.status = RefillStatus.COMPLETED

    class Rejected(Aggregate.Event):
        reason: str
        by: str

    @event(Rejected)
    def record_rejection(self, reason: str, by: str = "") -> None:
        self.status = RefillStatus.REJECTED
        self.reason = reason

    class Failed(Aggregate.Event):
        reason: str
        by: str

    @event(Failed)
    def record_failure(self, reason: str, by: str = "") -> None:
        self.status = RefillStatus.FAILED
        self.reason = reason
