"""`/dispatch`: the delivery bots' API. JSON in and out, operator bearer tokens.

Every report runs the ledger's command in a worker thread (the same limiter as `/api/v2`) and
answers with the order or refill as it now stands. A report is the token's bot's: refused
(409) on work another bot holds an unexpired claim on. Refusals are JSON errors: 401 bad token,
404 unknown order or refill, 409 a report that does not fit the current state, 422 a body
that is not what the endpoint takes. A refused report records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from litestar import Controller, Litestar, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody

from orderledger.application.claiming import WorkClaims
from orderledger.domain import errors
from orderledger.domain.claims import Reporter, utc_now
from orderledger.domain.order import Order
from orderledger.http.api_v2 import ApiContext, answer
from orderledger.http.bearer import bearer_subject
from orderledger.http.fulfilment_schemas import (
    ClaimedOrders,
    ClaimedRefills,
    ClaimRequest,
    DeliveryReport,
    FailureReport,
    PartialReport,
    PostReport,
    RefillReason,
    RefillView,
    RenewRequest,
    StartReport,
    WorkOrder,
    refill_view,
    work_order,
    work_refill,
)
from orderledger.storage.credentials import Role

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


async def operator_of(request: Raw) -> str:
    """The operator a bearer token belongs to; 401 for anything else."""
    return await bearer_subject(request, Role.OPERATOR)


def app_clock(app: Litestar) -> datetime:
    """The app's clock; tests put a controllable one at `app.state.dispatch_clock`."""
    now: Callable[[], datetime] = getattr(app.state, "dispatch_clock", utc_now)
    return now()


def clock(request: Raw) -> datetime:
    return app_clock(request.app)


async def run(request: Raw, fn: Callable[..., T], *args: Any) -> T:
    api: ApiContext = request.app.state.api
    return await anyio.to_thread.run_sync(partial(fn, *args), limiter=api.commands)


async def report(request: Raw, fn: Callable[..., T], *args: Any, operator: str) -> T:
    """Run a report as the token's bot, at the app's clock (its claims bind it)."""
    api: ApiContext = request.app.state.api
    command = partial(fn, *args, by=Reporter(operator), now=clock(request))
    return await anyio.to_thread.run_sync(command, limiter=api.commands)


async def order_report(
    request: Raw, fn: Callable[..., Order], *args: Any, operator: str
) -> WorkOrder:
    return work_order(await report(request, fn, *args, operator=operator))


def work_claims(request: Raw) -> WorkClaims:
    return WorkClaims(request.app.state.store.ledger, request.app.state.store.db)


async def order_command(request: Raw, fn: Callable[..., Order], *args: Any) -> WorkOrder:
    return work_order(await run(request, fn, *args))


class OrderDispatch(Controller):
    path = "/dispatch/orders"
    tags = ["dispatch: orders"]
    dependencies = {"operator": Provide(operator_of)}
    security = [{"bearer": []}]
    exception_handlers = {
        errors.LedgerError: ledger_error,
        ValidationException: invalid_body,
    }

    @post("/claim", status_code=200)
    async def claim(
        self, request: Raw, operator: NamedDependency[str], data: JSONBody[ClaimRequest]
    ) -> ClaimedOrders:
        """The oldest Pending (or returned) orders, each to this bot alone for the lease."""
        lease = timedelta(seconds=data.lease_seconds)
        orders = await run(
            request,
            work_claims(request).claim_orders,
            operator,
            data.limit,
            data.services,
            lease,
            clock(request),
        )
        return ClaimedOrders(orders=[work_order(order) for order in orders])

    @get("/cancel-requests")
    async def cancel_requests(self, request: Raw, operator: NamedDependency[str]) -> ClaimedOrders:
        """Unfinished orders the network asked to cancel: cancel them or stop them partial."""
        orders = await run(request, work_claims(request).cancel_requests)
        return ClaimedOrders(orders=[work_order(order) for order in orders])

    @get("/{number:int}")
    async def show(
        self, request: Raw, operator: NamedDependency[str], number: FromPath[int]
    ) -> WorkOrder:
        order = await run(request, request.app.state.store.ledger.order, number)
        if order is None:
            raise errors.UnknownOrder(str(number))
        return work_order(order)

    @post("/{number:int}/renew", status_code=200)
    async def renew(
        self,
        request: Raw,
        operator: NamedDependency[str],
        number: FromPath[int],
        data: JSONBody[RenewRequest],
    ) -> WorkOrder:
        """Extend this bot's claim; a bot that needs longer than its lease calls this."""
        ledger = request.app.state.store.ledger
        lease = timedelta(seconds=data.lease_seconds)
        return await order_command(
            request, ledger.renew_claim, number, operator, lease, clock(request)
        )

    @post("/{number:int}/release", status_code=200)
    async def release(
        self, request: Raw, operator: NamedDependency[str], number: FromPath[int]
    ) -> WorkOrder:
        """Give the order back to the queue before the lease runs out."""
        ledger = request.app.state.store.ledger
        return await order_command(request, ledger.release_claim, number, operator)

    @post("/{number:int}/start", status_code=200)
    async def start(
        self,
        request: Raw,
        operator: NamedDependency[str],
        number: FromPath[int],
        data: JSONBody[StartReport],
    ) -> WorkOrder:
        ledger = request.app.state.store.ledger
        return await order_report(
            request, ledger.start_order, number, data.start_count, operator=operator
        )

    @post("/{number:int}/deliver", status_code=200)
    async def deliver(
        self,
        request: Raw,
        operator: NamedDependency[str],
        number: FromPath[int],
        data: JSONBody[DeliveryReport],
    ) -> WorkOrder:
        """Cumulative progress: never backwards, never beyond `deliver_up_to`."""
        ledger = request.app.state.store.ledger
        return await order_report(
            request, ledger.report_delivery, number, data.delivered, operator=operator
        )

    @post("/{number:int}/posts", status_code=200)
    async def report_post(
        self,
        request: Raw,
        operator: NamedDependency[str],
        number: FromPath[int],
        data: JSONBody[PostReport],
    ) -> WorkOrder:
        """A subscription's post, delivered `quantity` (between the order's min and max)."""
        ledger = request.app.state.store.ledger
        return await order_report(
            request, ledger.report_post, number, data.post, data.quantity, operator=operator
        )

    @post("/{number:int}/complete", status_code=200)
    async def complete(
        self, request: Raw, operator: NamedDependency[str], number: FromPath[int]
    ) -> WorkOrder:
        ledger = request.app.state.store.ledger
        return await order_report(request, ledger.complete_order, number, operator=operator)

    @post("/{number:int}/partial", status_code=200)
    async def partial(
        self,
        request: Raw,
        operator: NamedDependency[str],
        number: FromPath[int],
        data: JSONBody[PartialReport],
    ) -> WorkOrder:
        """Stop as Partial; the undelivered share of the charge goes back to the account."""
        ledger = request.app.state.store.ledger
        return await order_report(
            request, ledger.stop_partial, number, data.remains, operator=operator
        )

    @post("/{number:int}/cancel", status_code=200)
    async def cancel(
        self, request: Raw, operator: NamedDependency[str], number: FromPath[int]
    ) -> WorkOrder:
        """Cancel an order nothing was delivered of: the whole charge goes back."""
        ledger = request.app.state.store.ledger
        return await order_report(request, ledger.cancel_order, number, operator=operator)

    @post("/{number:int}/fail", status_code=200)
    async def fail(
        self,
        request: Raw,
        operator: NamedDependency[str],
        number: FromPath[int],
        data: JSONBody[FailureReport],
    ) -> WorkOrder:
        ledger = request.app.state.store.ledger
        return await order_report(
            request, ledger.fail_order, number, data.reason, operator=operator
        )

    @post("/{number:int}/refund", status_code=200)
    async def refund(
        self, request: Raw, operator: NamedDependency[str], number: FromPath[int]
    ) -> WorkOrder:
        """Refund a Completed or Partial order in full."""
        ledger = request.app.state.store.ledger
        return await order_report(request, ledger.refund_order, number, operator=operator)


class RefillDispatch(Controller):
    path = "/dispatch/refills"
    tags = ["dispatch: refills"]
    dependencies = {"operator": Provide(operator_of)}
    security = [{"bearer": []}]
    exception_handlers = {
        errors.LedgerError: ledger_error,
        ValidationException: invalid_body,
    }

    @post("/claim", status_code=200)
    async def claim(
        self, request: Raw, operator: NamedDependency[str], data: JSONBody[ClaimRequest]
    ) -> ClaimedRefills:
        """The oldest open refills, each to this bot alone for the lease, with their order."""
        lease = timedelta(seconds=data.lease_seconds)
        store, now = request.app.state.store, clock(request)

        def claim_with_orders() -> ClaimedRefills:
            refills = work_claims(request).claim_refills(operator, data.limit, lease, now)
            return ClaimedRefills(
                refills=[
                    work_refill(refill, order)
                    for refill in refills
                    if (order := store.ledger.order(refill.order_number)) is not None
                ]
            )

        return await run(request, claim_with_orders)

    @post("/{number:int}/start", status_code=200)
    async def start(
        self, request: Raw, operator: NamedDependency[str], number: FromPath[int]
    ) -> RefillView:
        ledger = request.app.state.store.ledger
        return refill_view(await report(request, ledger.start_refill, number, operator=operator))

    @post("/{number:int}/complete", status_code=200)
    async def complete(
        self, request: Raw, operator: NamedDependency[str], number: FromPath[int]
    ) -> RefillView:
        ledger = request.app.state.store.ledger
        return refill_view(await report(request, ledger.complete_refill, number, operator=operator))

    @post("/{number:int}/reject", status_code=200)
    async def reject(
        self,
        request: Raw,
        operator: NamedDependency[str],
        number: FromPath[int],
        data: JSONBody[RefillReason | None] = None,
    ) -> RefillView:
        ledger = request.app.state.store.ledger
        reason = data.reason if data is not None else ""
        return refill_view(
            await report(request, ledger.reject_refill, number, reason, operator=operator)
        )

    @post("/{number:int}/fail", status_code=200)
    async def fail(
        self,
        request: Raw,
        operator: NamedDependency[str],
        number: FromPath[int],
        data: JSONBody[RefillReason | None] = None,
    ) -> RefillView:
        ledger = request.app.state.store.ledger
        reason = data.reason if data is not None else ""
        return refill_view(
            await report(request, ledger.fail_refill, number, reason, operator=operator)
        )


DISPATCH_HANDLERS = (OrderDispatch, RefillDispatch)
