"""`/audit`: the read-only history for auditor tokens (`orderledger auditors create NAME`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, get
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.params import Parameter

from orderledger.audit.history import HistoryEntry, OrderNotFound, OrderState, order_history
from orderledger.http.api_v2 import ApiContext, in_thread
from orderledger.http.reads import KEY_SQL
from orderledger.storage.credentials import Role, token_hash


@dataclass(frozen=True)
class OrderHistoryAnswer:
    order: int
    at: datetime | None  # the moment asked for, if any
    state: OrderState | None  # at that moment (or now); null before the order existed
    entries: list[HistoryEntry]  # every event up to then, oldest first


async def require_auditor(ctx: ApiContext, authorization: str | None) -> None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        rows = await ctx.reads.query(KEY_SQL, (token_hash(token.strip()), Role.AUDITOR.value))
        if rows:
            return
    raise NotAuthorizedException(detail="an auditor token is required (Authorization: Bearer)")


@get(
    "/audit/orders/{number:int}/history",
    summary="An order's full history",
    description="Every event of the order and of its refills, oldest first, each with the "
    "order's state after it (status, charge, remains, start_count, refills). With `at`, only "
    "the events up to that moment and the state as it was then. For auditor tokens only.",
    tags=["audit"],
)
async def audit_order_history(
    request: Request[Any, Any, Any],
    number: int,
    authorization: Annotated[
        str | None, Parameter(header="Authorization", description="Bearer AUDITOR_TOKEN")
    ] = None,
    at: Annotated[
        datetime | None, Parameter(description="ISO 8601 moment; without a zone, UTC")
    ] = None,
) -> OrderHistoryAnswer:
    ctx: ApiContext = request.app.state.api
    await require_auditor(ctx, authorization)
    moment = at if at is None or at.tzinfo is not None else at.replace(tzinfo=UTC)
    try:
        history = await in_thread(ctx, order_history, ctx.ledger, number, moment)
    except OrderNotFound as error:
        raise NotFoundException(detail=str(error)) from error
    return OrderHistoryAnswer(history.order, history.at, history.state, history.entries)
