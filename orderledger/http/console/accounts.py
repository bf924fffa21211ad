"""The accounts: a list with balances (views/listings.py, the queries of `orderledger
accounts list`, a page at a time by name), and an account's page: its statement with the
running balance (views/account_statement.py, the fold `orderledger accounts statement`
prints, and its CSV by the same code), deposit and adjustment forms, and a new API key,
shown once on the answer to the form that made it and never again."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from orderledger.application.access import NotRecorded, new_api_key
from orderledger.application.ledger import Ledger
from orderledger.domain import errors
from orderledger.domain.money import InvalidAmount, typed_amount
from orderledger.http.console.guards import may_act, signed
from orderledger.http.console.nav import PREFIX
from orderledger.http.console.orders import QueryRefused, moment
from orderledger.http.console.pages import NO_STORE, page, see_other
from orderledger.http.console.parts import ConsoleParts
from orderledger.http.dependencies import CommandThreads
from orderledger.storage.credentials import Credentials
from orderledger.views.account_statement import (
    AccountNotFound,
    Statement,
    account_statement,
    statement_csv,
)
from orderledger.views.listings import account_page

Raw = Request[Any, Any, Any]
PAGE = 50
SHOWN_LINES = 200  # the page shows the latest lines; the CSV has every one
CSV_SUFFIX = "/statement.csv"


def account_path(name: str) -> str:
    return f"{PREFIX}/accounts/{quote(name, safe='')}"


class Period:
    """The statement's period from the URL (`from`, `to`: as `--from`/`--to`; no zone: UTC)."""

    def __init__(self, request: Raw) -> None:
        query = request.query_params
        self.text = {k: query.get(k, "").strip() for k in ("from", "to")}
        self.start = moment(self.text["from"], "from")
        self.end = moment(self.text["to"], "to")

    def query(self) -> str:
        kept = [(k, v) for k, v in self.text.items() if v]
        return f"?{urlencode(kept)}" if kept else ""


class AccountPages(Controller):
    path = "/accounts"

    @get()
    async def list(
        self,
        request: Raw,
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
    ) -> Template:
        after = request.query_params.get("after") or None
        found = await run(account_page, console.db, after, PAGE)
        more = f"{PREFIX}/accounts?{urlencode({'after': found.next_after})}"
        return page(
            request,
            "accounts.html",
            rows=found.rows,
            more=more if found.next_after else None,
            link=account_path,
        )

    # An account's name may hold any character, "/" too, which the router decodes before
    # it matches: so the rest of the path is taken whole, and what ends it (the CSV, an
    # action) is read off its last segment.
    @get("/{rest:path}")
    async def show(
        self,
        request: Raw,
        rest: FromPath[str],
        ledger: NamedDependency[Ledger],
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
    ) -> Template | Response[str]:
        name = rest.removeprefix("/")
        if name.endswith(CSV_SUFFIX):
            return await statement_file(request, name.removesuffix(CSV_SUFFIX), ledger, run)
        return await account_page_of(request, name, ledger, console, run)

    @post("/{rest:path}", guards=[may_act], status_code=303)
    async def act(
        self,
        request: Raw,
        rest: FromPath[str],
        ledger: NamedDependency[Ledger],
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
    ) -> Template | Redirect:
        name, _, action = rest.removeprefix("/").rpartition("/")
        form = await request.form()
        parts = (request, name, ledger, console, run)
        match action:
            case "deposit":
                return await moved(*parts, form, adjusting=False)
            case "adjust":
                return await moved(*parts, form, adjusting=True)
            case "new-key":
                return await new_key(*parts)
        raise NotFoundException(f"no action {action!r} of an account")


async def statement_file(
    request: Raw, name: str, ledger: Ledger, run: CommandThreads
) -> Response[str]:
    try:
        period = Period(request)
        statement = await run(account_statement, ledger, name, period.start, period.end)
    except QueryRefused as error:
        raise ClientException(str(error)) from None
    except AccountNotFound:
        raise NotFoundException(f"no account {name!r}") from None
    text = await run(statement_csv, statement, period.start, period.end)
    filename = quote(f"statement-{name}.csv", safe="")
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": f"attachment; filename*=UTF-8''{filename}"},
    )


async def moved(
    request: Raw,
    name: str,
    ledger: Ledger,
    console: ConsoleParts,
    run: CommandThreads,
    form: Any,
    adjusting: bool,
) -> Template | Redirect:
    """A deposit (a positive amount, a note if staff give one), or an adjustment (a signed
    amount, and a note saying why), in the signed-in operator's name."""
    what = "adjustment" if adjusting else "deposit"
    note = str(form.get("note") or "").strip()
    try:
        value = typed_amount(str(form.get("amount") or ""), signed=adjusting)
        if adjusting and not note:
            raise InvalidAmount("an adjustment needs a note saying why")
        command = ledger.adjust if adjusting else ledger.deposit
        await run(command, name, value, note, by=signed(request).name)
    except (InvalidAmount, errors.LedgerError) as error:
        return await account_page_of(
            request, name, ledger, console, run, refused=f"{what}: {error}", status=422
        )
    return see_other(f"{account_path(name)}?done={what}")


async def new_key(
    request: Raw, name: str, ledger: Ledger, console: ConsoleParts, run: CommandThreads
) -> Template:
    """The one answer that shows the key: rendered here, not redirected to (a redirect would
    have to carry it), kept by no cache (`NO_STORE`), and the page's script replaces this
    history entry with the account's page, so a reload shows no key."""
    credentials = Credentials(console.db)
    warning = None
    try:
        issued = await run(new_api_key, ledger, credentials, name, signed(request).name)
        key = issued.key
    except errors.UnknownAccount:
        raise NotFoundException(f"no account {name!r}") from None
    except NotRecorded as error:
        key, warning = error.key, str(error)
    return await account_page_of(request, name, ledger, console, run, new_key=key, refused=warning)


async def account_page_of(
    request: Raw,
    name: str,
    ledger: Ledger,
    console: ConsoleParts,
    run: CommandThreads,
    refused: str | None = None,
    status: int = 200,
    new_key: str | None = None,
) -> Template:
    try:
        account = await run(ledger.account, name)  # as the last command left it
    except errors.UnknownAccount:
        raise NotFoundException(f"no account {name!r}") from None
    try:
        period = Period(request)
    except QueryRefused as error:
        period, refused, status = None, str(error), 400
    try:
        statement: Statement = await run(
            account_statement,
            ledger,
            name,
            period.start if period else None,
            period.end if period else None,
        )
    except AccountNotFound:
        raise NotFoundException(f"no account {name!r}") from None
    lines = statement.lines[-SHOWN_LINES:]
    hidden = len(statement.lines) - len(lines)
    opening = statement.lines[hidden - 1].balance if hidden else statement.opening
    path = account_path(name)
    return page(
        request,
        "account.html",
        status_code=status,
        name=name,
        account=account,
        statement=statement,
        lines=lines,
        opening=opening,
        hidden=hidden,
        path=path,
        csv=f"{path}/statement.csv{period.query() if period else ''}",
        period=period.text if period else {"from": "", "to": ""},
        refused=refused,
        done=request.query_params.get("done", ""),
        new_key=new_key,
    )
