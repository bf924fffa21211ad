"""`/audit`: the read-only history for auditor tokens (`orderledger auditors create NAME`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, Parameter

from orderledger.http.api_v2 import ApiContext, in_thread
from orderledger.http.bearer import bearer_subject
from orderledger.storage.credentials import Role
from orderledger.views.order_history import HistoryEntry, OrderNotFound, OrderState, order_history


@dataclass(frozen=True)
class OrderHistoryAnswer:
    order: int
    at: datetime | None  # the moment asked for, if any
    state: OrderState | None  # at that moment (or now); null before the order existed
    entries: list[HistoryEntry]  # every event up to then, oldest first


async def auditor_of(request: Request[Any, Any, Any]) -> str:
    return await bearer_subject(request, Role.AUDITOR)


@get(
    "/audit/orders/{number:int}/history",
    summary="An order's full history",
    description="Every event of the order and of its refills, oldest first, each with the "
    "order's state after it (status, charge, remains, start_count, refills). With `at`, only "
    "the events up to that moment and the state as it was then. For auditor tokens only.",
    tags=["audit"],
    dependencies={"auditor": Provide(auditor_of)},
    security=[{"bearer": []}],
)
async def audit_order_history(
    request: Request[Any, Any, Any],
    auditor: NamedDependency[str],
    number: FromPath[int],
    at: Annotated[
        datetime | None, Parameter(description="ISO 8601 moment; without a zone, UTC")
    ] = None,
) -> OrderHistoryAnswer:
    ctx: ApiContext = request.app.state.api
    moment = at if at is None or at.tzinfo is not None else at.replace(tzinfo=UTC)
    try:
        history = await in_thread(ctx, order_history, ctx.ledger, number, moment)
    except OrderNotFound as error:
        raise NotFoundException(detail=str(error)) from error
    return OrderHistoryAnswer(history.order, history.at, history.state, history.entries)
