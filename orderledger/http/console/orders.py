"""The orders: a list (filters in the URL, keyset pages: views/listings.py, the same queries
as `orderledger orders list`), and an order's page (its facts, its `status` answer as the
network gets it, its history as a timeline, and the staff actions its state allows)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from orderledger.application.ledger import Ledger
from orderledger.domain import errors
from orderledger.domain.order import ForwardState, OrderStatus
from orderledger.http.api_v2 import order_answers
from orderledger.http.console.actions import (
    IN_DOUBT_OFFERED,
    OFFERED,
    REFILL_OFFERED,
    FormRefused,
    OrderAction,
    RefillAction,
    order_command,
    parsed,
    refill_command,
    refusal_text,
)
from orderledger.http.console.guards import may_act, signed
from orderledger.http.console.nav import PREFIX
from orderledger.http.console.pages import page, see_other
from orderledger.http.console.parts import ConsoleParts
from orderledger.http.dependencies import CommandThreads
from orderledger.views.listings import (
    MAX_PAGE,
    ListingRefused,
    OrderFilter,
    list_orders,
    order_by_number,
)
from orderledger.views.order_history import OrderNotFound, order_history

Raw = Request[Any, Any, Any]
PAGE = 50
STATUSES = [s.value for s in OrderStatus]


class QueryRefused(ValueError):
    pass


def moment(text: str, field: str) -> datetime | None:
    if not text:
        return None
    try:
        given = datetime.fromisoformat(text)
    except ValueError:
        raise QueryRefused(
            f"{field}: not a date or time ({text!r}; e.g. 2026-12-01 or 2026-12-01T09:30)"
        ) from None
    return given if given.tzinfo else given.replace(tzinfo=UTC)  # no zone: UTC


def whole(text: str, field: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise QueryRefused(f"{field}: not a number ({text!r})")
    return int(text)


def order_filter(request: Raw) -> OrderFilter:
    """The list's filters from the URL's query: status (repeatable), account, service, link
    (the exact link), since and until (placed at or after, before; no zone: UTC), before
    (the page's cursor: an order number) and limit."""
    query = request.query_params
    statuses = [s for s in query.getall("status", []) if s]
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise QueryRefused(f"status: no status {unknown[0]!r}")
    limit = whole(query.get("limit", ""), "limit") or PAGE
    return OrderFilter(
        statuses=statuses,
        account=query.get("account", "").strip() or None,
        service=whole(query.get("service", "").strip(), "service"),
        link=query.get("link", "").strip() or None,
        since=moment(query.get("since", "").strip(), "since"),
        until=moment(query.get("until", "").strip(), "until"),
        before=whole(query.get("before", ""), "before"),
        limit=min(limit, MAX_PAGE),
    )


def next_page(request: Raw, path: str, before: int) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "before" and v]
    return f"{PREFIX}{path}?{urlencode([*kept, ('before', str(before))])}"


async def listed(
    request: Raw,
    console: ConsoleParts,
    run: CommandThreads,
    path: str,
    wanted: Callable[[Raw], OrderFilter],
) -> tuple[list[Any], str | None, str | None]:
    """A page of the orders the filter read from the URL (`wanted`) picks: its rows, the
    link to the next page (None on the last) and what refused the query (None if nothing)."""
    try:
        found = await run(list_orders, console.db, wanted(request))
    except (QueryRefused, ListingRefused) as error:
        return [], None, str(error)
    more = next_page(request, path, found.next_before) if found.next_before else None
    return found.rows, more, None


class OrderPages(Controller):
    path = "/"

    @get("/orders")
    async def listing(
        self,
        request: Raw,
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
    ) -> Template:
        rows, more, refused = await listed(request, console, run, "/orders", order_filter)
        query = request.query_params
        return page(
            request,
            "orders.html",
            status_code=200 if refused is None else 400,
            rows=rows,
            more=more,
            refused=refused,
            statuses=STATUSES,
            chosen=set(query.getall("status", [])),
            query={k: query.get(k, "") for k in ("account", "service", "link", "since", "until")},
        )

    @get("/orders/{number:int}")
    async def show(
        self,
        request: Raw,
        number: FromPath[int],
        ledger: NamedDependency[Ledger],
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
    ) -> Template:
        return await order_page(request, number, ledger, console, run)

    @post("/orders/{number:int}/{action:str}", guards=[may_act], status_code=303)
    async def act(
        self,
        request: Raw,
        number: FromPath[int],
        action: FromPath[str],
        ledger: NamedDependency[Ledger],
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
        now: NamedDependency[datetime],
    ) -> Template | Redirect:
        _, error = await acted(
            request,
            run,
            now,
            lambda f: order_command(ledger, number, parsed(f, action, OrderAction)),
        )
        if error is not None:
            return await refused_page(request, number, ledger, console, run, error)
        return see_other(f"{PREFIX}/orders/{number}?done={action}")

    @post("/refills/{number:int}/{action:str}", guards=[may_act], status_code=303)
    async def act_on_refill(
        self,
        request: Raw,
        number: FromPath[int],
        action: FromPath[str],
        ledger: NamedDependency[Ledger],
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
        now: NamedDependency[datetime],
    ) -> Template | Redirect:
        refill, error = await acted(
            request,
            run,
            now,
            lambda f: refill_command(ledger, number, parsed(f, action, RefillAction)),
        )
        if error is not None:
            try:  # shown on its order's page
                order = (await run(ledger.refill, number)).order_number
            except errors.UnknownRefill:
                raise NotFoundException(f"no refill {number}") from None
            return await refused_page(request, order, ledger, console, run, error)
        return see_other(f"{PREFIX}/orders/{refill.order_number}?done=refill-{action}")


Refused = FormRefused | errors.LedgerError


async def acted(
    request: Raw,
    run: CommandThreads,
    now: datetime,
    command_of: Callable[[dict[str, Any]], Callable[..., Any]],
) -> tuple[Any, Refused | None]:
    """Runs the command the form names (`command_of` its fields) as the signed-in operator:
    what it returns, or what refused the form or the command."""
    fields = dict((await request.form()).items())
    try:
        return await run(command_of(fields), by=signed(request).reporter, now=now), None
    except (FormRefused, errors.LedgerError) as error:
        return None, error


async def refused_page(
    request: Raw,
    number: int,
    ledger: Ledger,
    console: ConsoleParts,
    run: CommandThreads,
    error: Refused,
) -> Template:
    """The order's page again, saying why the action was refused."""
    text, status = refusal(error)
    return await order_page(request, number, ledger, console, run, refused=text, status=status)


def refusal(error: Refused) -> tuple[str, int]:
    """What the page says of a refused form, and its status: 422 a form that is not what
    the action takes, 409 a command the order's state refuses."""
    if isinstance(error, FormRefused):
        return str(error), 422
    return refusal_text(error), 409


async def order_page(
    request: Raw,
    number: int,
    ledger: Ledger,
    console: ConsoleParts,
    run: CommandThreads,
    refused: str | None = None,
    status: int = 200,
) -> Template:
    try:
        history = await run(order_history, ledger, number)
    except OrderNotFound:
        raise NotFoundException(f"no order {number}") from None
    order = await run(ledger.order, number)
    if order is None:
        raise NotFoundException(f"no order {number}")
    line = await run(order_by_number, console.db, number)
    # The network's own answer: the same read, fold and bytes as its `status` of this order.
    answers = await order_answers(console.api, str(order.account_id), [number])
    answer = msgspec.json.encode(answers[number]).decode() if number in answers else None
    state = history.state
    current = state.status if state else ""
    refills = state.refills if state else {}
    return page(
        request,
        "order.html",
        status_code=status,
        number=number,
        line=line,
        order=order,
        answer=answer,
        history=history,
        offered=OFFERED.get(current, ()),
        # The forwarding as the order itself has it: right after an action, before any fold.
        resolutions=IN_DOUBT_OFFERED if order.forward_state is ForwardState.IN_DOUBT else (),
        refills=[(int(n), s, REFILL_OFFERED.get(s, ())) for n, s in refills.items()],
        refused=refused,
        done=request.query_params.get("done", ""),
    )
