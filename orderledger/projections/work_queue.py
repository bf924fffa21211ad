"""The work queue: every unfinished order and refill, with who holds it and when it is due.

Only a list of candidates: the claim itself is decided by the aggregate, so a row that lags
behind the log can at worst offer work that is then refused. Times are microseconds since
the epoch, so both databases compare them as numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from orderledger.domain.order import Order, OrderStatus, subscription_end
from orderledger.domain.refill import Refill, RefillStatus, forwarder_name
from orderledger.projections.base import Projection

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A forwarded order's claim: the forwarder's, with no lease to run out (the sweep never
# releases it, no claim query offers it).
NEVER = 2**62
ORDER, REFILL = "order", "refill"


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class WorkRow:
    id: str
    kind: str  # order or refill
    number: int
    service: int  # 0 for a refill
    status: str
    claimed_by: str  # "" when nobody holds it
    claim_expires_at: int  # 0 when nobody holds it
    due_at: int  # the earliest moment a claim can get work from it
    cancel_requested: bool
    ends_at: int  # a subscription's expiry; 0 when it has none
    quantity: int  # per run
    runs: int  # 0 unless drip-fed
    interval: int  # minutes between drip-feed runs
    run: int  # drip-feed runs handed out
    run_handed_at: int
    delivered: int


def released(row: WorkRow) -> WorkRow:
    return replace(row, claimed_by="", claim_expires_at=0)


def with_due(row: WorkRow) -> WorkRow:
    """A drip-feed order whose current run is delivered waits `interval` for the next one."""
    if row.runs and 0 < row.run < row.runs and row.delivered >= row.run * row.quantity:
        due = row.run_handed_at + row.interval * 60_000_000
        return released(replace(row, due_at=due))
    return row


def placed(event: Any) -> WorkRow:
    return WorkRow(
        id=str(event.originator_id),
        kind=ORDER,
        number=event.number,
        service=event.service_number,
        status=OrderStatus.PENDING.value,
        claimed_by="",
        claim_expires_at=0,
        due_at=0,  # due at once; only later drip-feed runs wait
        cancel_requested=False,
        ends_at=micros(end) if (end := subscription_end(event.details)) else 0,
        quantity=event.quantity,
        runs=event.runs or 0,
        interval=event.interval or 0,
        run=0,
        run_handed_at=0,
        delivered=0,
    )


def evolve_order(row: WorkRow, event: Any) -> WorkRow | None:
    match event:
        case Order.Finished():
            return None  # nothing left to do; a refill of it is its own row
        case Order.Claimed():
            status = OrderStatus.PROCESSING.value if row.status == "Pending" else row.status
            claimed = replace(
                row,
                status=status,
                claimed_by=event.operator,
                claim_expires_at=micros(event.expires_at),
            )
            if event.run > row.run and event.claimed_at is not None:
                claimed = replace(claimed, run=event.run, run_handed_at=micros(event.claimed_at))
            return claimed
        case Order.ClaimReleased():
            status = OrderStatus.PENDING.value if row.status == "Processing" else row.status
            return released(replace(row, status=status))
        case Order.Started() | Order.PostDelivered():
            return replace(row, status=OrderStatus.IN_PROGRESS.value)
        case Order.DeliveryReported():
            return with_due(
                replace(row, status=OrderStatus.IN_PROGRESS.value, delivered=event.delivered)
            )
        case Order.CancelRequested():
            return replace(row, cancel_requested=True)
        case Order.ForwardAttempted():
            status = OrderStatus.PROCESSING.value if row.status == "Pending" else row.status
            claimer = Order.forwarder(event.upstream)
            return replace(row, status=status, claimed_by=claimer, claim_expires_at=NEVER)
        case Order.ForwardNotPlaced() | Order.ForwardReopened():
            status = OrderStatus.PENDING.value if row.status == "Processing" else row.status
            return released(replace(row, status=status))
        case Order.CancelForwarded():
            return replace(row, cancel_requested=False)  # the upstream's to act on now
    return row


def evolve_refill(row: WorkRow, event: Any) -> WorkRow | None:
    match event:
        case Refill.Claimed():
            return replace(
                row, claimed_by=event.operator, claim_expires_at=micros(event.expires_at)
            )
        case Refill.ClaimReleased():
            return released(row)
        case Refill.AssignedToUpstream():
            return replace(row, claimed_by=forwarder_name(event.upstream), claim_expires_at=NEVER)
        case Refill.ForwardedUpstream():
            return row
        case Refill.Started():
            return replace(row, status=RefillStatus.IN_PROGRESS.value)
    return None  # completed, rejected or failed


def evolve(row: WorkRow | None, event: Any) -> WorkRow | None:
    if isinstance(event, Order.Placed):
        return placed(event)
    if isinstance(event, Refill.Requested):
        return WorkRow(
            id=str(event.originator_id),
            kind=REFILL,
            number=event.number,
            service=0,
            status=RefillStatus.PENDING.value,
            claimed_by="",
            claim_expires_at=0,
            due_at=0,  # due at once; only later drip-feed runs wait
            cancel_requested=False,
            ends_at=0,
            quantity=0,
            runs=0,
            interval=0,
            run=0,
            run_handed_at=0,
            delivered=0,
        )
    if row is None:
        return None
    return evolve_order(row, event) if row.kind == ORDER else evolve_refill(row, event)


WORK_QUEUE = Projection(
    name="work_queue",
    table="orderledger_work_queue",
    row_type=WorkRow,
    events=(
        Order.Placed,
        Order.Claimed,
        Order.ClaimReleased,
        Order.Started,
        Order.DeliveryReported,
        Order.PostDelivered,
        Order.CancelRequested,
        Order.ForwardAttempted,
        Order.ForwardNotPlaced,
        Order.ForwardReopened,
        Order.CancelForwarded,
        Order.Finished,
        Refill.Requested,
        Refill.Claimed,
        Refill.ClaimReleased,
        Refill.AssignedToUpstream,
        Refill.Started,
        Refill.Completed,
        Refill.Rejected,
        Refill.Failed,
    ),
    evolve=evolve,
    indexed=("number", "due_at"),
)
