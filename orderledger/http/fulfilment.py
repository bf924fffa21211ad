"""The fulfilment API, under `/dispatch`: the delivery bots' API. JSON in and out, operator
bearer tokens (one guard for the whole API: http/bearer.py).

Every report runs the ledger's command in a worker thread (the same limiter as `/api/v2`) and
answers with the order or refill as it now stands. A report is the token's bot's: refused
(409) on work another bot holds an unexpired claim on. Refusals are JSON errors: 401 bad
token (before the body is read), 404 unknown order or refill, 409 a report that does not fit
the current state, 422 a body that is not what the endpoint takes. A refused report records
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from litestar import Controller, Request, Response, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody
from litestar.types import Guard

from orderledger.application.claiming import WorkClaims
from orderledger.application.ledger import Ledger
from orderledger.domain import errors
from orderledger.domain.claims import Reporter
from orderledger.http.api_v2 import answer
from orderledger.http.bearer import token_holder
from orderledger.http.dependencies import CommandThreads
from orderledger.http.fulfilment_schemas import (
    ClaimedOrders,
    ClaimedRefills,
    ClaimRequest,
    DeliveryReport,
    FailureReport,
    PartialReport,
    PostReport,
    RefillAnswer,
    RefillReason,
    RenewRequest,
    StartReport,
    WorkOrder,
    refill_answer,
    work_order,
    work_refill,
)
from orderledger.http.refusals import refused

T = TypeVar("T")
Raw = Request[Any, Any, Any]

STATUS_OF: tuple[tuple[type[errors.LedgerError], int], ...] = (
    (errors.UnknownOrder, 404),
    (errors.UnknownRefill, 404),
    (errors.IncorrectRequest, 422),
    (errors.InvalidQuantity, 422),
)


def ledger_error(_: Raw, error: errors.LedgerError) -> Response[bytes]:
    status = next((code for cls, code in STATUS_OF if isinstance(error, cls)), 409)
    text = {
        errors.UnknownOrder: f"unknown order {error}",
        errors.UnknownRefill: f"unknown refill {error}",
        errors.NotEnoughFunds: f"not enough funds on the account's balance for {error}",
    }.get(type(error), str(error))
    return answer({"error": text}, status)


def invalid_body(_: Raw, error: ValidationException) -> Response[bytes]:
    return answer({"error": f"invalid request: {error.detail}", "fields": error.extra}, 422)


@dataclass(frozen=True)
class Report:
    """A report by the request's bot at the request's moment (its claims bind it), run in a
    command thread: `await report(ledger.start_order, number, count)`."""

    by: Reporter
    now: datetime
    run: CommandThreads

    async def __call__(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.run(fn, *args, by=self.by, now=self.now)


def report_as(
    operator: NamedDependency[str],
    now: NamedDependency[datetime],
    run: NamedDependency[CommandThreads],
) -> Report:
    return Report(Reporter(operator), now, run)


class OrderFulfilment(Controller):
    """The orders a bot claims, reports on and gives back."""

    path = "/orders"
    tags = ["fulfilment: orders"]
    exception_handlers = {
        errors.LedgerError: ledger_error,
        ValidationException: invalid_body,
    }

    @post("/claim", status_code=200, responses=refused(400, 401, 422))
    async def claim(
        self,
        work_claims: NamedDependency[WorkClaims],
        run: NamedDependency[CommandThreads],
        operator: NamedDependency[str],
        now: NamedDependency[datetime],
        data: JSONBody[ClaimRequest],
    ) -> ClaimedOrders:
        """The oldest Pending (or returned) orders, each to this bot alone for the lease."""
        lease = timedelta(seconds=data.lease_seconds)
        claim = work_claims.claim_orders
        orders = await run(claim, operator, data.limit, data.services, lease, now)
        return ClaimedOrders(orders=[work_order(order) for order in orders])

    @get("/cancel-requests", responses=refused(401))
    async def cancel_requests(
        self, work_claims: NamedDependency[WorkClaims], run: NamedDependency[CommandThreads]
    ) -> ClaimedOrders:
        """Unfinished orders the network asked to cancel: cancel them or stop them partial."""
        orders = await run(work_claims.cancel_requests)
        return ClaimedOrders(orders=[work_order(order) for order in orders])

    @get("/{number:int}", responses=refused(401, 404))
    async def show(
        self,
        ledger: NamedDependency[Ledger],
        run: NamedDependency[CommandThreads],
        number: FromPath[int],
    ) -> WorkOrder:
        order = await run(ledger.order, number)
        if order is None:
            raise errors.UnknownOrder(str(number))
        return work_order(order)

    @post("/{number:int}/renew", status_code=200, responses=refused(400, 401, 404, 409, 422))
    async def renew(
        self,
        ledger: NamedDependency[Ledger],
        run: NamedDependency[CommandThreads],
        operator: NamedDependency[str],
        now: NamedDependency[datetime],
        number: FromPath[int],
        data: JSONBody[RenewRequest],
    ) -> WorkOrder:
        """Extend this bot's claim; a bot that needs longer than its lease calls this."""
        lease = timedelta(seconds=data.lease_seconds)
        return work_order(await run(ledger.renew_claim, number, operator, lease, now))

    @post("/{number:int}/release", status_code=200, responses=refused(401, 404, 409))
    async def release(
        self,
        ledger: NamedDependency[Ledger],
        run: NamedDependency[CommandThreads],
        operator: NamedDependency[str],
        number: FromPath[int],
    ) -> WorkOrder:
        """Give the order back to the queue before the lease runs out."""
        return work_order(await run(ledger.release_claim, number, operator))

    @post("/{number:int}/start", status_code=200, responses=refused(400, 401, 404, 409, 422))
    async def start(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
        data: JSONBody[StartReport],
    ) -> WorkOrder:
        return work_order(await report(ledger.start_order, number, data.start_count))

    @post("/{number:int}/deliver", status_code=200, responses=refused(400, 401, 404, 409, 422))
    async def deliver(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
        data: JSONBody[DeliveryReport],
    ) -> WorkOrder:
        """Cumulative progress: never backwards, never beyond `deliver_up_to`."""
        return work_order(await report(ledger.report_delivery, number, data.delivered))

    @post("/{number:int}/posts", status_code=200, responses=refused(400, 401, 404, 409, 422))
    async def report_post(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
        data: JSONBody[PostReport],
    ) -> WorkOrder:
        """A subscription's post, delivered `quantity` (between the order's min and max)."""
        return work_order(await report(ledger.report_post, number, data.post, data.quantity))

    @post("/{number:int}/complete", status_code=200, responses=refused(401, 404, 409))
    async def complete(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
    ) -> WorkOrder:
        return work_order(await report(ledger.complete_order, number))

    @post("/{number:int}/partial", status_code=200, responses=refused(400, 401, 404, 409, 422))
    async def partial(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
        data: JSONBody[PartialReport],
    ) -> WorkOrder:
        """Stop as Partial; the undelivered share of the charge goes back to the account."""
        return work_order(await report(ledger.stop_partial, number, data.remains))

    @post("/{number:int}/cancel", status_code=200, responses=refused(401, 404, 409))
    async def cancel(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
    ) -> WorkOrder:
        """Cancel an order nothing was delivered of: the whole charge goes back."""
        return work_order(await report(ledger.cancel_order, number))

    @post("/{number:int}/fail", status_code=200, responses=refused(400, 401, 404, 409, 422))
    async def fail(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
        data: JSONBody[FailureReport],
    ) -> WorkOrder:
        return work_order(await report(ledger.fail_order, number, data.reason))

    @post("/{number:int}/refund", status_code=200, responses=refused(401, 404, 409))
    async def refund(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
    ) -> WorkOrder:
        """Refund a Completed or Partial order in full."""
        return work_order(await report(ledger.refund_order, number))


class RefillFulfilment(Controller):
    """The refills a bot claims and reports on."""

    path = "/refills"
    tags = ["fulfilment: refills"]
    exception_handlers = {
        errors.LedgerError: ledger_error,
        ValidationException: invalid_body,
    }

    @post("/claim", status_code=200, responses=refused(400, 401, 422))
    async def claim(
        self,
        ledger: NamedDependency[Ledger],
        work_claims: NamedDependency[WorkClaims],
        run: NamedDependency[CommandThreads],
        operator: NamedDependency[str],
        now: NamedDependency[datetime],
        data: JSONBody[ClaimRequest],
    ) -> ClaimedRefills:
        """The oldest open refills, each to this bot alone for the lease, with their order."""
        lease = timedelta(seconds=data.lease_seconds)

        def claim_with_orders() -> ClaimedRefills:
            refills = work_claims.claim_refills(operator, data.limit, lease, now)
            return ClaimedRefills(
                refills=[
                    work_refill(refill, order)
                    for refill in refills
                    if (order := ledger.order(refill.order_number)) is not None
                ]
            )

        return await run(claim_with_orders)

    @post("/{number:int}/start", status_code=200, responses=refused(401, 404, 409))
    async def start(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
    ) -> RefillAnswer:
        return refill_answer(await report(ledger.start_refill, number))

    @post("/{number:int}/complete", status_code=200, responses=refused(401, 404, 409))
    async def complete(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
    ) -> RefillAnswer:
        return refill_answer(await report(ledger.complete_refill, number))

    @post("/{number:int}/reject", status_code=200, responses=refused(400, 401, 404, 409, 422))
    async def reject(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
        data: JSONBody[RefillReason | None] = None,
    ) -> RefillAnswer:
        reason = data.reason if data is not None else ""
        return refill_answer(await report(ledger.reject_refill, number, reason))

    @post("/{number:int}/fail", status_code=200, responses=refused(400, 401, 404, 409, 422))
    async def fail(
        self,
        ledger: NamedDependency[Ledger],
        report: NamedDependency[Report],
        number: FromPath[int],
        data: JSONBody[RefillReason | None] = None,
    ) -> RefillAnswer:
        reason = data.reason if data is not None else ""
        return refill_answer(await report(ledger.fail_refill, number, reason))


# The prefix the bots have called since before this API was named fulfilment: it is on the
# wire and stays.
PREFIX = "/dispatch"


def fulfilment_api(requires_operator: Guard) -> Router:
    """The fulfilment API under its prefix, for operator tokens only (`requires_operator`
    refuses the rest); a handler that records its bot takes `operator` or `report`."""
    return Router(
        PREFIX,
        route_handlers=[OrderFulfilment, RefillFulfilment],
        guards=[requires_operator],
        dependencies={
            "operator": Provide(token_holder, sync_to_thread=False),
            "report": Provide(report_as, sync_to_thread=False),
        },
        security=[{"bearer": []}],
    )
