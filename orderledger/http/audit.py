"""`/audit`: the read-only history for auditor tokens (`orderledger auditors create NAME`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from litestar import Router, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, Parameter
from litestar.types import Guard

from orderledger.application.ledger import Ledger
from orderledger.http.dependencies import CommandThreads
from orderledger.http.refusals import refused
from orderledger.views.order_history import HistoryEntry, OrderNotFound, OrderState, order_history


@dataclass(frozen=True)
class OrderHistoryAnswer:
    order: int
    at: datetime | None  # the moment asked for, if any
    state: OrderState | None  # at that moment (or now); null before the order existed
    entries: list[HistoryEntry]  # every event up to then, oldest first


@get(
    "/orders/{number:int}/history",
    summary="An order's full history",
    description="Every event of the order and of its refills, oldest first, each with the "
    "order's state after it (status, charge, remains, start_count, refills). With `at`, only "
    "the events up to that moment and the state as it was then. For auditor tokens only.",
    tags=["audit"],
    responses=refused(400, 401, 404),
)
async def audit_order_history(
    ledger: NamedDependency[Ledger],
    run: NamedDependency[CommandThreads],
    number: FromPath[int],
    at: Annotated[
        datetime | None, Parameter(description="ISO 8601 moment; without a zone, UTC")
    ] = None,
) -> OrderHistoryAnswer:
    moment = at if at is None or at.tzinfo is not None else at.replace(tzinfo=UTC)
    try:
        history = await run(order_history, ledger, number, moment)
    except OrderNotFound as error:
        raise NotFoundException(detail=str(error)) from error
    return OrderHistoryAnswer(history.order, history.at, history.state, history.entries)


def audit_api(requires_auditor: Guard) -> Router:
    """`/audit`, for auditor tokens only (`requires_auditor` refuses the rest)."""
    return Router(
        "/audit",
        route_handlers=[audit_order_history],
        guards=[requires_auditor],
        security=[{"bearer": []}],
    )
