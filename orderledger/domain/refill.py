"""A refill the network asked for on a finished order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from orderledger.domain.claims import SWEEP, Reporter, ensure_holder
from orderledger.domain.errors import ClaimTaken, InvalidTransition
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


def forwarder_name(upstream: str) -> str:
    """Who holds and reports on work forwarded to `upstream` (`Order.forwarder` too)."""
    return f"upstream:{upstream}"


class Refill(Aggregate):
    # A refill of a forwarded order is the upstream's (class defaults: older snapshots lack
    # them): asked of it by the forwarder, its status followed from there.
    upstream: str | None = None
    upstream_refill: str | None = None

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

    # ---- commands: each checks the refill's own rules, then records what happened --------

    def claim(self, operator: str, lease: timedelta, now: datetime) -> None:
        if self.upstream is not None:
            raise ClaimTaken(f"refill {self.number} is for upstream {self.upstream}")
        if self.status.is_finished:
            raise InvalidTransition(f"refill {self.number} is already {self.status.value}")
        if self.claim_held(now) and self.claimed_by != operator:
            raise ClaimTaken(f"refill {self.number} is claimed by {self.claimed_by}")
        self.record_claim(operator=operator, expires_at=now + lease)

    def release_expired_claim(self, now: datetime) -> None:
        """Release a claim that has expired (the sweep); anything else is left as it is."""
        if self.claimed_by is None or self.status.is_finished:
            return
        if self.claim_held(now):
            return  # claimed again since the sweep looked: leave it
        self.record_claim_released(by=SWEEP.name)

    def start(self, by: Reporter, now: datetime) -> bool:
        return self.move(RefillStatus.IN_PROGRESS, by, now, self.record_start)

    def complete(self, by: Reporter, now: datetime) -> bool:
        return self.move(RefillStatus.COMPLETED, by, now, self.record_completion)

    def reject(self, reason: str, by: Reporter, now: datetime) -> bool:
        return self.move(RefillStatus.REJECTED, by, now, self.record_rejection, reason=reason)

    def fail(self, reason: str, by: Reporter, now: datetime) -> bool:
        return self.move(RefillStatus.FAILED, by, now, self.record_failure, reason=reason)

    def move(
        self,
        target: RefillStatus,
        by: Reporter,
        now: datetime,
        record: Callable[..., None],
        **facts: str,
    ) -> bool:
        """Move the refill to `target`; False (nothing recorded) if it is there already."""
        if self.upstream is not None and not by.staff and by.name != forwarder_name(self.upstream):
            raise ClaimTaken(f"refill {self.number} is for upstream {self.upstream}")
        ensure_holder(self, "refill", by, now)
        if self.status is target:
            return False
        if self.status.is_finished or (
            target is RefillStatus.IN_PROGRESS and self.status is not RefillStatus.PENDING
        ):
            raise InvalidTransition(f"refill {self.number} is already {self.status.value}")
        record(by=by.name, **facts)
        return True

    def assign_upstream(self, upstream: str) -> None:
        """The refill of an order forwarded to `upstream`: the forwarder asks it there."""
        if self.upstream is not None:
            return
        self.record_assigned(upstream=upstream)

    def forwarded_upstream(self, upstream_refill: str) -> bool:
        """The upstream took the refill as `upstream_refill`; False if already recorded."""
        if self.upstream is None or self.status.is_finished:
            raise InvalidTransition(f"refill {self.number} is not one to forward")
        if self.upstream_refill == upstream_refill:
            return False
        if self.upstream_refill is not None:
            raise InvalidTransition(
                f"refill {self.number} is already upstream refill {self.upstream_refill}"
            )
        self.record_forwarded_upstream(upstream_refill=upstream_refill)
        return True

    class AssignedToUpstream(Aggregate.Event):
        upstream: str

    @event(AssignedToUpstream)
    def record_assigned(self, upstream: str) -> None:
        self.upstream = upstream
        self.claimed_by = forwarder_name(upstream)
        self.claim_expires_at = None  # nobody's lease: the sweep never hands it back

    class ForwardedUpstream(Aggregate.Event):
        upstream_refill: str

    @event(ForwardedUpstream)
    def record_forwarded_upstream(self, upstream_refill: str) -> None:
        self.upstream_refill = upstream_refill

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
