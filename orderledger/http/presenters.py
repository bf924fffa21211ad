"""The wire format of every answer: field names and JSON types exactly as the protocol says."""

from __future__ import annotations

from typing import Any

from orderledger.domain.money import plain
from orderledger.projections.catalogue import ServiceRow
from orderledger.views.balance_answer import balance_answer
from orderledger.views.status_answer import status_answer

REFILL_RECEIVED = "Your refill request has been received, please wait."
CANCEL_RECEIVED = "Your cancellation request has been received."


def error(text: str) -> dict[str, str]:
    return {"error": text}


def service(row: ServiceRow) -> dict[str, Any]:
    return {
        "service": row.number,
        "name": row.name,
        "type": row.type,
        "category": row.category,
        "rate": plain(row.rate),
        "min": str(row.min),
        "max": str(row.max),
        "dripfeed": bool(row.dripfeed),
        "refill": bool(row.refill),
        "cancel": bool(row.cancel),
        "description": row.description,
    }


# An order's `status` answer, defined on the read side, which also keeps it ready on
# PostgreSQL (see views.status_answer).
order_status = status_answer


# An account's `balance` answer, defined on the read side, which also keeps it ready on
# PostgreSQL (see views.balance_answer).
balance = balance_answer


def refill_created(order: str, refill: int) -> dict[str, str]:
    return {"order": order, "refill": str(refill), "message": REFILL_RECEIVED}


def refill_item(order: int | str, refill: int | None, failure: str | None) -> dict[str, Any]:
    if failure is not None:
        return {"order": order, "refill": error(failure), "message": failure}
    return {"order": order, "refill": refill, "message": REFILL_RECEIVED}


def refill_status(refill: int | str, status: str | None, failure: str | None) -> dict[str, Any]:
    return {"refill": refill, "status": error(failure) if failure else status}


def cancel_item(order: int | str, failure: str | None) -> dict[str, Any]:
    return {"order": order, "cancel": error(failure) if failure else CANCEL_RECEIVED}
