"""Every answered request, counted, timed and logged once, outside the handlers.

`Observed` wraps the app's whole request handling (every route, and requests no route
takes). It reads the answer's status as it is sent and, once the answer is out, counts it by
action and outcome, adds its time to the action's latency histogram (http/metrics.py) and
writes one access record (logger `orderledger.access`, see http/logs.py). The counts are
kept in the worker and handed to prometheus_client once a second and before a scrape
(`RequestTally`): the library's own bookkeeping, per request, cost more than the rest.

Who asked and what: `/api/v2` notes its action and the key's account with `note()` (the
handler is the one that knows; a fast path answering before the handler notes the same
way); the bearer guards of `/dispatch` and `/audit` leave the token's holder on the
request's state. Keys and tokens never reach a record: the access record has the path
without its query string, no header, and the account's name, looked up once per account
per worker (an account's id is made from its name, so the name never changes).
"""

from __future__ import annotations

import logging
from time import perf_counter
from typing import Any, cast

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from orderledger.http.bearer import HOLDER, HOLDER_ROLE
from orderledger.http.logs import ACCESS_LOGGER, ACCESS_TEXT, BatchedStreamHandler
from orderledger.http.metrics import RequestTally
from orderledger.http.parsing import ACTIONS
from orderledger.views.names import account_name
from orderledger.views.reads import ReadModels

log = logging.getLogger(__name__)
access = logging.getLogger(ACCESS_LOGGER)

NOTE = "orderledger.noted"  # the scope's key for what the handler noted
ERROR_BODY = b'{"error"'  # how every refusal's body starts (presenters.error)
ROLES = {"dispatch": "operator", "audit": "auditor"}  # by the path's first part
MAX_NAMES = 10_000  # accounts whose names a worker keeps


# The methods counted by name; any other (a client may send any token) is counted as OTHER,
# so that no request can make a metric of its own.
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


def note(scope: Scope, action: object, account: str | None) -> None:
    """What an `/api/v2` request asked for (its `action` field as sent: an unknown one is
    counted as "unknown") and whose key it carried (None: no valid key)."""
    known = action if isinstance(action, str) and action in ACTIONS else "unknown"
    cast("dict[str, Any]", scope)[NOTE] = (known, account)


def outcome_of(status: int, refused: bool, unauthorized: bool) -> str:
    if status >= 500:
        return "failed"
    if unauthorized or status == 401:
        return "unauthorized"
    if refused or status >= 400:
        return "refused"
    return "ok"


class Observed:
    def __init__(self, app: ASGIApp, reads: ReadModels, tally: RequestTally) -> None:
        self.app = app
        self.reads = reads
        self.tally = tally
        self.names: dict[str, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]  # a str at run time
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        answer = [500, False]  # status, and whether the body is a refusal

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer[0] = message["status"]
            elif message["type"] == "http.response.body" and not answer[1]:
                answer[1] = message.get("body", b"").startswith(ERROR_BODY)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = perf_counter() - started
            try:
                await self.answered(
                    cast("dict[str, Any]", scope), int(answer[0]), bool(answer[1]), seconds
                )
            except Exception:  # the bookkeeping of an answer never fails the request
                log.exception("could not count or log an answer")

    async def answered(
        self, scope: dict[str, Any], status: int, refused: bool, seconds: float
    ) -> None:
        noted: tuple[str, str | None] | None = scope.get(NOTE)
        if noted is not None:
            action, account = noted
            unauthorized = account is None
            role = "account"
            who = "" if account is None else self.names.get(account) or await self.name_of(account)
        else:
            template = scope.get("path_template")
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            action = f"{method} {template}" if template else "unrouted"
            unauthorized = False
            holder = scope.get("state", {}).get(HOLDER)
            role, who = ("user", "") if holder is None else (self.role_of(scope), str(holder))
        self.tally.count(action, outcome_of(status, refused, unauthorized), seconds)
        if access.isEnabledFor(logging.INFO):
            client = scope.get("client")
            path: str = scope["path"]
            if not path.isprintable():  # a newline sent as %0A must not forge a record
                path = path.encode("unicode_escape").decode()
            fields = (
                client[0] if client else "-",
                scope["method"],
                path,
                action,
                status,
                seconds * 1000,
                role,
                who or "-",
            )
            handlers = access.handlers
            if (
                len(handlers) == 1
                and isinstance(handlers[0], BatchedStreamHandler)
                and handlers[0].direct
            ):
                handlers[0].access(fields)  # as serve configures it: the line made directly
                return
            access.handle(
                access.makeRecord(ACCESS_LOGGER, logging.INFO, "", 0, ACCESS_TEXT, fields, None)
            )

    @staticmethod
    def role_of(scope: dict[str, Any]) -> str:
        noted = scope.get("state", {}).get(HOLDER_ROLE)
        return str(noted) if noted else ROLES.get(scope["path"].split("/", 2)[1], "holder")

    async def name_of(self, account: str) -> str:
        """The account's name, looked up the first time this worker meets it."""
        try:
            name = await account_name(self.reads, account) or account
        except Exception as error:  # the log line says the id instead; nothing is kept
            log.debug("could not look up the name of account %s: %s", account, error)
            return account
        if len(self.names) >= MAX_NAMES:
            self.names.clear()
        self.names[account] = name
        return name
