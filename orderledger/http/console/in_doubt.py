"""The orders in doubt: forwarded to an upstream whose answer never came, so nobody knows
whether it placed them. Staff look at the upstream, then resolve each on its order's page
(attach the upstream's order, or forward it again). The list is `orders list --in-doubt`'s
query (views/listings.py), newest first, a page at a time."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from orderledger.http.console.orders import listed, whole
from orderledger.http.console.pages import page
from orderledger.http.console.parts import ConsoleParts
from orderledger.http.dependencies import CommandThreads
from orderledger.views.forwards import forwards_of
from orderledger.views.listings import OrderFilter

Raw = Request[Any, Any, Any]
PAGE = 50


def in_doubt(request: Raw) -> OrderFilter:
    return OrderFilter(
        in_doubt=True, before=whole(request.query_params.get("before", ""), "before"), limit=PAGE
    )


class InDoubt(Controller):
    path = "/"

    @get("/in-doubt")
    async def listing(
        self,
        request: Raw,
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
    ) -> Template:
        rows, more, refused = await listed(request, console, run, "/in-doubt", in_doubt)
        if rows:
            sent = await run(forwards_of, console.db, [o.number for o in rows])
            rows = [(o, sent.get(o.number)) for o in rows]
        return page(
            request,
            "in_doubt.html",
            status_code=200 if refused is None else 400,
            rows=rows,
            more=more,
            refused=refused,
        )
