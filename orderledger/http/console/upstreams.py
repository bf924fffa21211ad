"""The upstream providers: each with its URL (never its key), whether it has funds for us,
the services linked to it and its orders forwarded and in doubt; and each one's statement
(the same fold and CSV as `orderledger upstreams statement`). Staff may ask one for our
balance there: a POST, with a short timeout, never on the way to a page."""

from __future__ import annotations

import io
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from orderledger.application.ledger import Ledger
from orderledger.application.upstream_clients import UpstreamClients
from orderledger.http.console.guards import may_act
from orderledger.http.console.orders import QueryRefused, moment
from orderledger.http.console.pages import NO_STORE, page
from orderledger.http.console.parts import ConsoleParts
from orderledger.http.dependencies import CommandThreads
from orderledger.storage.database import Database
from orderledger.storage.upstream_keys import UpstreamKeys
from orderledger.upstream.errors import UpstreamError
from orderledger.views.forwards import ForwardCounts, forward_counts
from orderledger.views.statements import Statement, write_csv
from orderledger.views.upstream_statement import (
    COLUMNS,
    upstream_statement,
    upstream_statement_rows,
)
from orderledger.views.upstreams import UpstreamRow, upstreams_overview

Raw = Request[Any, Any, Any]
BALANCE_SECONDS = 5.0  # how long staff wait for an upstream's balance


def every_upstream(ledger: Ledger, db: Database) -> list[tuple[UpstreamRow, ForwardCounts]]:
    rows = upstreams_overview(ledger, db, UpstreamKeys(db).names())
    counts = forward_counts(db)
    return [(row, counts.get(row.name, ForwardCounts())) for row in rows]


def balance_there(ledger: Ledger, db: Database, name: str) -> str:
    """Our balance at the upstream as it answers now, or why it did not (the client keeps
    the key out of every reason)."""
    clients = UpstreamClients(ledger, UpstreamKeys(db), timeout=BALANCE_SECONDS)
    try:
        answer = clients(name).balance()
    except UpstreamError as error:
        return f"no answer: {error.reason}"
    finally:
        clients.close()
    return f"{answer.amount:f} {answer.currency}".strip()


def statement_of(ledger: Ledger, request: Raw, name: str) -> tuple[Statement, list[dict[str, Any]]]:
    if ledger.upstream(name) is None:
        raise NotFoundException(f"no upstream {name}")
    query = request.query_params
    start = moment(query.get("from", "").strip(), "from")
    end = moment(query.get("to", "").strip(), "to")
    statement = upstream_statement(ledger, name, start, end)
    return statement, upstream_statement_rows(statement, start, end)


class UpstreamPages(Controller):
    path = "/"

    @get("/upstreams")
    async def listing(
        self,
        request: Raw,
        ledger: NamedDependency[Ledger],
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
    ) -> Template:
        return await upstreams_page(request, ledger, console, run)

    @post("/upstreams/{name:str}/balance", guards=[may_act], status_code=200)
    async def ask_balance(
        self,
        request: Raw,
        name: FromPath[str],
        ledger: NamedDependency[Ledger],
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
    ) -> Template:
        if await run(ledger.upstream, name) is None:
            raise NotFoundException(f"no upstream {name}")
        said = await run(balance_there, ledger, console.db, name)
        return await upstreams_page(request, ledger, console, run, balance=(name, said))

    @get("/upstreams/{name:str}")
    async def statement(
        self,
        request: Raw,
        name: FromPath[str],
        ledger: NamedDependency[Ledger],
        run: NamedDependency[CommandThreads],
    ) -> Template:
        query = request.query_params
        statement: Statement | None = None
        rows: list[dict[str, Any]] = []
        refused: str | None = None
        try:
            statement, rows = await run(statement_of, ledger, request, name)
        except QueryRefused as error:
            refused = str(error)
        return page(
            request,
            "upstream.html",
            status_code=200 if refused is None else 400,
            name=name,
            statement=statement,
            rows=rows,
            refused=refused,
            query={k: query.get(k, "") for k in ("from", "to")},
            csv=f"{request.url.path}/statement.csv"
            + (f"?{request.url.query}" if request.url.query else ""),
        )

    @get("/upstreams/{name:str}/statement.csv")
    async def statement_csv(
        self,
        request: Raw,
        name: FromPath[str],
        ledger: NamedDependency[Ledger],
        run: NamedDependency[CommandThreads],
    ) -> Response[str]:
        try:
            _, rows = await run(statement_of, ledger, request, name)
        except QueryRefused as error:
            return Response(str(error), status_code=400, media_type="text/plain", headers=NO_STORE)
        out = io.StringIO()
        write_csv(rows, COLUMNS, out)
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={
                **NO_STORE,
                "Content-Disposition": f'attachment; filename="upstream-{name}-statement.csv"',
            },
        )


async def upstreams_page(
    request: Raw,
    ledger: Ledger,
    console: ConsoleParts,
    run: CommandThreads,
    balance: tuple[str, str] | None = None,
) -> Template:
    rows = await run(every_upstream, ledger, console.db)
    return page(request, "upstreams.html", rows=rows, balance=balance)
