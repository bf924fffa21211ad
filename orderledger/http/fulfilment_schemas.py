"""The fulfilment API's request and response schemas: what a bot is told about an order or a
refill, and what it may send. Typed msgspec structs, so Litestar validates the bodies and the
OpenAPI schema describes them; each name is the one the schema shows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from orderledger.domain.money import wire
from orderledger.domain.order import Order
from orderledger.domain.refill import Refill

# ---- what a bot is sent -----------------------------------------------------------------


class WorkOrder(msgspec.Struct):
    order: int
    service: int
    type: str
    status: str
    link: str
    quantity: int  # per run for a drip-feed
    total_quantity: int  # what the charge covers: quantity × runs, or the posts so far
    runs: int | None
    interval: int | None
    runs_handed_out: int
    deliver_up_to: int  # the cumulative delivery a bot may report now
    delivered: int
    remains: int
    start_count: int
    charge: str
    currency: str
    details: dict[str, Any]  # the type's fields: comments, usernames, min, max, posts, ...
    cancel_requested: bool
    claimed_by: str | None
    claim_expires_at: datetime | None
    next_run_due: datetime | None
    posts_reported: int
    posts_left: int | None


class WorkRefill(msgspec.Struct):
    refill: int
    status: str
    claimed_by: str | None
    claim_expires_at: datetime | None
    order: WorkOrder


def work_order(order: Order) -> WorkOrder:
    return WorkOrder(
        order=order.number,
        service=order.service_number,
        type=order.service_type,
        status=order.status.value,
        link=order.link,
        quantity=order.quantity,
        total_quantity=order.charged_quantity,
        runs=order.runs,
        interval=order.interval,
        runs_handed_out=order.run,
        deliver_up_to=order.deliverable,
        delivered=order.delivered,
        remains=order.remains,
        start_count=order.start_count,
        charge=wire(order.net_charge),
        currency=order.currency,
        details=dict(order.details),
        cancel_requested=order.cancel_requested,
        claimed_by=order.claimed_by,
        claim_expires_at=order.claim_expires_at,
        next_run_due=order.next_run_due() if order.run else None,
        posts_reported=len(order.posts),
        posts_left=order.posts_left,
    )


def work_refill(refill: Refill, order: Order) -> WorkRefill:
    return WorkRefill(
        refill=refill.number,
        status=refill.status.value,
        claimed_by=refill.claimed_by,
        claim_expires_at=refill.claim_expires_at,
        order=work_order(order),
    )


class ClaimedOrders(msgspec.Struct):
    orders: list[WorkOrder]


class ClaimedRefills(msgspec.Struct):
    refills: list[WorkRefill]


class RefillAnswer(msgspec.Struct):
    refill: int
    order: int
    status: str
    reason: str


def refill_answer(refill: Refill) -> RefillAnswer:
    return RefillAnswer(
        refill=refill.number,
        order=refill.order_number,
        status=refill.status.value,
        reason=refill.reason,
    )


# ---- what a bot sends -------------------------------------------------------------------

LeaseSeconds = Annotated[int, msgspec.Meta(ge=30, le=86_400, description="claim lifetime")]
# Counts are stored as 64-bit integers: a larger one is refused as its field (422). The bound
# is exact as a float, so the OpenAPI document (which states bounds as floats) says it exactly.
BIGGEST = 10**18


class ClaimRequest(msgspec.Struct, forbid_unknown_fields=True):
    services: list[int] = []  # an id no service has matches nothing
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1
    lease_seconds: LeaseSeconds = 900


class RenewRequest(msgspec.Struct, forbid_unknown_fields=True):
    lease_seconds: LeaseSeconds = 900


class StartReport(msgspec.Struct, forbid_unknown_fields=True):
    start_count: Annotated[int, msgspec.Meta(ge=0, le=BIGGEST)]


class DeliveryReport(msgspec.Struct, forbid_unknown_fields=True):
    delivered: Annotated[int, msgspec.Meta(ge=0, le=BIGGEST, description="cumulative")]


class PostReport(msgspec.Struct, forbid_unknown_fields=True):
    post: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=BIGGEST)]


class PartialReport(msgspec.Struct, forbid_unknown_fields=True):
    remains: Annotated[int, msgspec.Meta(ge=1, le=BIGGEST, description="what was not delivered")]


class FailureReport(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class RefillReason(msgspec.Struct, forbid_unknown_fields=True):
    reason: str = ""
