"""Each refill as the network's `refill_status` sees it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from orderledger.domain.refill import Refill, RefillStatus
from orderledger.projections.base import Projection


@dataclass(frozen=True)
class RefillStatusRow:
    id: str
    number: int
    account_id: str
    order_number: int
    status: str


STATUS_AFTER = {
    Refill.Started: RefillStatus.IN_PROGRESS,
    Refill.Completed: RefillStatus.COMPLETED,
    Refill.Rejected: RefillStatus.REJECTED,
    Refill.Failed: RefillStatus.FAILED,
}


def evolve(row: RefillStatusRow | None, event: Any) -> RefillStatusRow | None:
    if isinstance(event, Refill.Requested):
        return RefillStatusRow(
            id=str(event.originator_id),
            number=event.number,
            account_id=str(event.account_id),
            order_number=event.order_number,
            status=RefillStatus.PENDING.value,
        )
    if row is None:
        return None
    return replace(row, status=STATUS_AFTER[type(event)].value)


REFILL_STATUS = Projection(
    name="refill_status",
    table="orderledger_refill_status",
    row_type=RefillStatusRow,
    events=(Refill.Requested, *STATUS_AFTER),
    evolve=evolve,
    unique=("number",),
    # `refills list`: newest first, by status or account.
    indexed=(("status", "number"), ("account_id", "number")),
)
