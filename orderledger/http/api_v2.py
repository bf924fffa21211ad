"""`/api/v2`: read the fields, look the key up, parse the action once, perform it, present."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar, cast
from uuid import UUID

import anyio.to_thread
import msgspec
from anyio import CapacityLimiter
from eventsourcing.persistence import StoredEvent
from litestar import Litestar, Request, Response, asgi
from litestar.exceptions import (
    InternalServerException,
    MethodNotAllowedException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import ASGIRouteHandler
from litestar.types import (
    ASGIApp,
    HTTPReceiveMessage,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Receive,
    Scope,
    Send,
)

from orderledger.application.group_commit import AddBatcher
from orderledger.application.ledger import Ledger
from orderledger.domain.errors import IncorrectRequest, LedgerError, UnknownOrder, UnknownRefill
from orderledger.http import presenters
from orderledger.http.errors import INVALID_ACTION, INVALID_KEY, error_text
from orderledger.http.observability import note
from orderledger.http.parsing import (
    ACTIONS,
    MAX_IDS,
    PLAIN_NUMBERS,
    Add,
    Balance,
    Cancel,
    RefillOrders,
    RefillStatus,
    Request_,
    Services,
    Status,
    as_number,
    body_fields,
    content_type_of,
    media_type,
    parse_action,
    read_fields,
    split_ids,
    valid_id,
)
from orderledger.projections import replay
from orderledger.projections.account_balance import AccountBalanceRow
from orderledger.projections.catalogue import ServiceRow
from orderledger.views.key_lookups import PLAIN_BALANCE, Plain, PlainStatus, key_holder
from orderledger.views.reads import Answers, Behind, ReadModels

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
INLINE_EVENTS = 32


@dataclass
class ApiContext:
    reads: ReadModels
    ledger: Ledger
    commands: CapacityLimiter
    errors_as_200: bool
    batcher: AddBatcher  # every `add` goes through the group commit


def answer(body: Any, status: int = 200) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(body), media_type="application/json", status_code=status
    )


async def in_thread(ctx: ApiContext, fn: Callable[..., T], *args: Any) -> T:
    return await anyio.to_thread.run_sync(partial(fn, *args), limiter=ctx.commands)


def ids_of(single: int | None, multi: str | int | list[Any] | None, name: str) -> list[str] | None:
    """The ids of a multi request, or None for a single one."""
    if multi is not None:
        return split_ids(multi)
    if single is None:
        raise IncorrectRequest(f"{name} is required")
    if not valid_id(single):
        raise UnknownRefill(str(single)) if name == "refill" else UnknownOrder(str(single))
    return None


API_PATH = "/api/v2"
JSON_HEADERS = [(b"content-type", b"application/json")]
MAX_BODY_BYTES = 10_000_000  # Litestar's default for its own handlers


class BodyTooLarge(RequestEntityTooLarge):
    """A body over `MAX_BODY_BYTES`: answered 413 by the app's error handler. Any other
    failure to read a body (a malformed multipart, say) reads as no fields, as before."""


class ApiRequest(Request[Any, Any, Any]):
    """A request as a plain ASGI handler reads it: the body limit, which Litestar takes from
    its own kind of handler, is set here."""

    async def stream(self) -> AsyncGenerator[bytes, None]:
        if not self.is_connected:
            raise InternalServerException("stream consumed")
        body = await body_of(self.receive)  # read whole, with the limit, as the front reads it
        self.is_connected = False
        if body:
            yield body


def api_v2_endpoint(ctx: ApiContext) -> ASGIRouteHandler:
    """`/api/v2` as Litestar routes it: the requests `ApiFront` leaves to Litestar (a multipart
    body, a method other than GET and POST, the path written otherwise) and an app served
    without the front. Bound once, when the app is built, to the context of the runtime it
    serves."""

    @asgi(API_PATH, copy_scope=False)
    async def api_v2(scope: Scope, receive: Receive, send: Send) -> None:
        # A plain ASGI handler: it takes no dependencies (the context is the enclosing
        # function's) and sends its status and JSON itself. Errors go through the app's
        # handlers.
        request = ApiRequest(scope, receive, send)
        if request.method not in ("GET", "POST"):
            raise MethodNotAllowedException(headers={"Allow": "GET, POST"})
        status, body = await respond(ctx, await fields_of(request), scope)
        await send_answer(send, status, body)

    return api_v2


async def send_answer(send: Send, status: int, body: bytes) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": [*JSON_HEADERS, (b"content-length", str(len(body)).encode())],
    }
    content: HTTPResponseBodyEvent = {
        "type": "http.response.body",
        "body": body,
        "more_body": False,
    }
    await send(start)
    await send(content)


ErrorAnswer = Callable[[Request[Any, Any, Any], Exception], Response[Any]]


class ApiFront:
    """`/api/v2` answered as the server hands it over, before Litestar routes it.

    The network polls all day, and before its own work began every request went through
    Litestar's entry, its exception middleware and the send it wraps, routing, and a
    `Request` to read the body through. The front reads the body itself
    (with the limit Litestar keeps for its own handlers), then does exactly what the routed
    handler does (`respond`), and sends the same status, headers and JSON. What it does not
    read itself it leaves to Litestar before reading anything: a multipart body, a method
    other than GET and POST. A failure is answered by the app's own error answer
    (`errors`, as the app's exception handlers answer it), rendered as Litestar renders it.

    Middleware given to Litestar does not see the requests answered here: what must see
    every request wraps the whole app (see `http.app.OrderLedgerApp`).
    """

    def __init__(
        self, ctx: ApiContext, app: Litestar, routed: ASGIApp, errors: ErrorAnswer
    ) -> None:
        self.ctx = ctx
        self.app = app
        self.routed = routed  # the app as Litestar routes a request
        self.errors = errors

    async def __call__(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        header = content_type_of(scope["headers"]) if method == "POST" else ""
        if method not in ("GET", "POST") or media_type(header) == "multipart/form-data":
            await self.routed(scope, receive, send)
            return
        try:
            fields = await self.fields(scope, receive, method, header)
            status, body = await respond(self.ctx, fields, scope)
        except Exception as error:
            await self.answer_error(scope, receive, send, error)
            return
        await send_answer(send, status, body)

    async def fields(
        self, scope: Scope, receive: Receive, method: str, header: str
    ) -> dict[str, Any]:
        query = scope.get("query_string", b"")
        try:
            body = await body_of(receive) if method == "POST" else b""
            return body_fields(query, method, header, body)
        except BodyTooLarge:
            raise
        except Exception:  # as `fields_of`: a body that cannot be read reads as no fields
            return {}

    async def answer_error(
        self, scope: Scope, receive: Receive, send: Send, error: Exception
    ) -> None:
        scope["app"] = scope["litestar_app"] = self.app  # as Litestar's own entry sets them
        scope.setdefault("state", {})
        request: Request[Any, Any, Any] = Request(scope, receive, send)
        response = self.errors(request, error)
        await response.to_asgi_response(app=None, request=request)(scope, receive, send)


async def body_of(receive: Receive) -> bytes:
    """A request's body, read whole; over `MAX_BODY_BYTES`, `BodyTooLarge`."""
    chunks: list[bytes] = []
    received = 0
    while True:
        event = cast("HTTPReceiveMessage", await receive())
        if event["type"] == "http.disconnect":
            raise InternalServerException("client disconnected prematurely")
        chunk = event.get("body", b"")
        received += len(chunk)
        if received > MAX_BODY_BYTES:
            raise BodyTooLarge
        if chunk:
            chunks.append(chunk)
        if not event.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def respond(ctx: ApiContext, fields: dict[str, Any], scope: Scope) -> tuple[int, bytes]:
    """The status code and JSON body of one `/api/v2` request of these fields: its action
    parsed once, its key looked up once (that look-up also brings the whole answer of a
    plain `status` or `balance`: see views.key_lookups), then the action done. A key is
    checked before the action, and the action before its fields. What was asked, and by
    whose key, is noted on the request's `scope` for its access record and metrics."""
    parsed = parsed_action(fields)
    key = fields.get("key")
    action = fields.get("action")
    note(scope, action, None)  # the action is counted even if the look-up fails
    holder = await key_holder(ctx.reads, str(key), plain_request(parsed)) if key else None
    if holder is not None:
        note(scope, action, holder.account)
    if holder is None:
        return refused(ctx, INVALID_KEY, 401)
    if holder.ready is not None:  # a plain status or balance, answered whole by the key's query
        return 200, holder.ready
    if parsed is None:
        return refused(ctx, INVALID_ACTION, 400)
    if isinstance(parsed, LedgerError):
        return 200, refusal(parsed)
    try:
        return 200, msgspec.json.encode(await perform(ctx, holder.account, parsed, fields))
    except LedgerError as error:
        return 200, refusal(error)


async def fields_of(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        return await read_fields(request)
    except BodyTooLarge:
        raise
    except Exception:  # a body that is not what its content type says: treat it as empty
        return {}


def parsed_action(fields: dict[str, Any]) -> Request_ | LedgerError | None:
    """The request as its action's type; the refusal of its fields, given once the key is
    checked; None when no known action is asked."""
    action = fields.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        return None
    try:
        return parse_action(fields)
    except LedgerError as error:
        return error


def plain_request(parsed: Request_ | LedgerError | None) -> Plain | None:
    """A request the key's query may answer whole: a `balance`, or a plain `status`."""
    return PLAIN_BALANCE if isinstance(parsed, Balance) else plain_status(parsed)


def plain_status(parsed: Request_ | LedgerError | None) -> PlainStatus | None:
    """A `status` of orders asked by their numbers written plainly, which the key's query may
    answer whole; None for any other request (the usual path answers it)."""
    if not isinstance(parsed, Status):
        return None
    orders = parsed.orders
    if isinstance(orders, str) and PLAIN_NUMBERS.fullmatch(orders):  # the network's own way
        tokens = orders.split(",")
        if len(tokens) <= MAX_IDS and len(set(tokens)) == len(tokens):
            return PlainStatus(orders, len(tokens), single=False, unknown=UNKNOWN_ORDER)
    if orders is not None:
        try:
            ids = split_ids(orders)  # as the usual path reads them: stripped, once each
        except LedgerError:
            return None
        numbers = ",".join(ids)
        if not PLAIN_NUMBERS.fullmatch(numbers):
            return None
        return PlainStatus(numbers, len(ids), single=False, unknown=UNKNOWN_ORDER)
    if parsed.order is None or not valid_id(parsed.order):
        return None
    return PlainStatus(str(parsed.order), 1, single=True, unknown=UNKNOWN_ORDER)


def refusal(error: LedgerError) -> bytes:
    return msgspec.json.encode(presenters.error(error_text(error)))


# What the usual path answers for an order the account may not see, alone or in a list.
UNKNOWN_ORDER = refusal(UnknownOrder("")).decode()


def refused(ctx: ApiContext, text: str, status: int) -> tuple[int, bytes]:
    return 200 if ctx.errors_as_200 else status, msgspec.json.encode(presenters.error(text))


async def perform(ctx: ApiContext, account: str, request: Request_, fields: dict[str, Any]) -> Any:
    """The answer to one parsed action of the account."""
    match request:
        case Services():
            return [presenters.service(row) for row in await services(ctx)]
        case Balance():
            return presenters.balance(await balance(ctx, account))
        case Add(service=service):
            if service is None:
                raise IncorrectRequest("service is required")
            order = await ctx.batcher.place(UUID(account), service, fields)
            return {"order": order.number}
        case Status(order=order, orders=orders):
            ids = ids_of(order, orders, "order")
            tokens = None if ids is None else {token: as_number(token) for token in ids}
            return await status(ctx, account, order, tokens)
        case RefillOrders(order=order, orders=orders):
            return await refill(ctx, account, order, ids_of(order, orders, "order"))
        case RefillStatus(refill=number, refills=refills):
            return await refill_status(ctx, account, number, ids_of(number, refills, "refill"))
        case Cancel(order=order, orders=orders):
            return await cancel(ctx, account, order, ids_of(order, orders, "order"))


async def fold_newer(
    ctx: ApiContext, fold: Callable[[Ledger, R, list[StoredEvent]], T], read: Behind[R]
) -> T:
    """A read model's rows with the events past its position folded on: here for a few,
    in a thread for many (an import), so the worker's other requests are not held up."""
    if len(read.newer) <= INLINE_EVENTS:
        return fold(ctx.ledger, read.rows, read.newer)
    return await in_thread(ctx, fold, ctx.ledger, read.rows, read.newer)


async def balance(ctx: ApiContext, account: str) -> AccountBalanceRow:
    """The account's balance with every charge, refund and deposit committed so far."""
    read = await ctx.reads.balance(account)
    if read is not None:
        return await fold_newer(ctx, replay.balance_past, read)
    row = await in_thread(ctx, replay.balance_of, ctx.ledger, account)  # not projected yet
    if row is None:
        raise IncorrectRequest("account is not ready yet")
    return row


async def services(ctx: ApiContext) -> list[ServiceRow]:
    """The enabled services with every catalogue change committed so far."""
    return await fold_newer(ctx, replay.services_past, await ctx.reads.services())


async def order_answers(ctx: ApiContext, account: str, numbers: list[int]) -> Answers:
    """Each of the account's orders' answers, with every event committed so far."""
    rows = await fold_newer(ctx, replay.orders_past, await ctx.reads.orders(account, numbers))
    return {
        number: presenters.order_status(row)
        for number, row in rows.items()
        if row.account_id == account
    }


async def status(
    ctx: ApiContext, account: str, single: int | None, tokens: dict[str, int | None] | None
) -> Any:
    """One order's answer, or each asked id's (by the id as the client wrote it)."""
    if tokens is None:
        assert single is not None
        answers = await order_answers(ctx, account, [single])
        if single not in answers:
            raise UnknownOrder(str(single))
        return answers[single]
    answers = await order_answers(ctx, account, sorted({n for n in tokens.values() if n}))
    return {
        token: answers[n] if n in answers else presenters.error(error_text(UnknownOrder(token)))
        for token, n in tokens.items()
    }


async def refill_status(
    ctx: ApiContext, account: str, single: int | None, ids: list[str] | None
) -> Any:
    """One refill's status, or each asked id's, with every event committed so far."""
    wanted = [single] if ids is None else [as_number(t) for t in ids]
    numbers = sorted({n for n in wanted if n})
    read = await ctx.reads.refills(account, numbers)
    folded = await fold_newer(ctx, replay.refills_past, read)
    rows = {number: row for number, row in folded.items() if row.account_id == account}
    if ids is None:
        if single not in rows:
            raise UnknownRefill(str(single))
        return {"refill": single, "status": rows[single].status}
    not_found = error_text(UnknownRefill(""))
    return [
        presenters.refill_status(
            n if n else token,
            rows[n].status if n in rows else None,
            None if n in rows else not_found,
        )
        for token, n in zip(ids, wanted, strict=True)
    ]


def each(
    ids: list[str], command: Callable[[int], T]
) -> list[tuple[int | str, T | None, str | None]]:
    """Run a command per id; a refusal of one id is that item's error, not the request's."""
    results: list[tuple[int | str, T | None, str | None]] = []
    for token in ids:
        number = as_number(token)
        try:
            if number is None:
                raise UnknownOrder(token)
            results.append((number, command(number), None))
        except LedgerError as error:
            results.append((number or token, None, error_text(error)))
    return results


async def refill(ctx: ApiContext, account: str, single: int | None, ids: list[str] | None) -> Any:
    request = partial(ctx.ledger.request_refill, UUID(account))
    if ids is None:
        assert single is not None
        created = await in_thread(ctx, request, single)
        return presenters.refill_created(str(single), created.number)
    results = await in_thread(ctx, each, ids, request)
    return [
        presenters.refill_item(order, made.number if made else None, failure)
        for order, made, failure in results
    ]


async def cancel(ctx: ApiContext, account: str, single: int | None, ids: list[str] | None) -> Any:
    request = partial(ctx.ledger.request_cancel, UUID(account))
    if ids is None:
        assert single is not None
        await in_thread(ctx, request, single)
        return presenters.cancel_item(single, None)
    results = await in_thread(ctx, each, ids, request)
    return [presenters.cancel_item(order, failure) for order, _, failure in results]
