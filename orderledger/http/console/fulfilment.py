"""Fulfilment: the bots (whoever holds operator tokens: names and counts, never a token),
the claims each holds in the work queue and those whose lease ran out, and revoking a bot
(`application/access.revoke_holder`, what `orderledger operators revoke NAME` does), which
records `TokenHolder.Revoked` by the signed-in operator. A revoked token's console sessions
end at their next request (guards.py looks every session's token up afresh)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from orderledger.application.access import NoTokens, NotRecorded, revoke_holder
from orderledger.application.ledger import Ledger
from orderledger.http.console.guards import may_act, signed
from orderledger.http.console.nav import PREFIX
from orderledger.http.console.pages import page, see_other
from orderledger.http.console.parts import ConsoleParts
from orderledger.http.dependencies import CommandThreads
from orderledger.storage.credentials import Credentials, Role
from orderledger.views.work_queue import HeldClaim, claims_held

Raw = Request[Any, Any, Any]


class FulfilmentPages(Controller):
    path = "/fulfilment"

    @get()
    async def show(
        self,
        request: Raw,
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
        now: NamedDependency[datetime],
    ) -> Template:
        return await fulfilment_page(request, console, run, now)

    # A name may hold "/", which the router decodes before it matches: the rest of the path
    # is taken whole, and its last segment is the action.
    @post("/{rest:path}", guards=[may_act], status_code=303)
    async def revoke(
        self,
        request: Raw,
        rest: FromPath[str],
        ledger: NamedDependency[Ledger],
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
        now: NamedDependency[datetime],
    ) -> Template | Redirect:
        name, _, action = rest.removeprefix("/").rpartition("/")
        if action != "revoke":
            raise NotFoundException(f"no action {action!r} of a bot")
        credentials = Credentials(console.db)
        by = signed(request).name
        try:
            revoked = await run(revoke_holder, ledger, credentials, Role.OPERATOR, name, by)
        except (NoTokens, NotRecorded) as error:
            status = 404 if isinstance(error, NoTokens) else 500
            return await fulfilment_page(
                request, console, run, now, refused=str(error), status=status
            )
        return see_other(f"{PREFIX}/fulfilment?{urlencode({'revoked': name, 'tokens': revoked})}")


async def fulfilment_page(
    request: Raw,
    console: ConsoleParts,
    run: CommandThreads,
    now: datetime,
    refused: str | None = None,
    status: int = 200,
) -> Template:
    holders = await run(Credentials(console.db).holders, Role.OPERATOR)
    claims = await run(claims_held, console.db, now)
    by_bot: dict[str, list[HeldClaim]] = defaultdict(list)
    for claim in claims:
        by_bot[claim.bot].append(claim)
    known = {h.name for h in holders}
    query = request.query_params
    return page(
        request,
        "fulfilment.html",
        status_code=status,
        holders=holders,
        by_bot=by_bot,
        # Claims of a name that holds no token now (revoked): their leases run out.
        orphans=sorted(bot for bot in by_bot if bot not in known),
        expired=[c for c in claims if c.expired],
        now=now,
        quote=lambda text: quote(text, safe=""),
        refused=refused,
        revoked=query.get("revoked", ""),
        tokens=query.get("tokens", ""),
    )
