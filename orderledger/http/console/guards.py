"""Who may see the console and who may act in it: Litestar guards.

`signed_in` admits a request whose session cookie was sealed with the console's key, has not
expired, and whose token is still held in its role (looked up afresh: a revoked token's
sessions end here); it leaves the `Signed` person on the request's state, and checks the
CSRF token of every POST before any handler reads the form. `may_act` admits only operators
(staff): an auditor's POST is refused with 403 and records nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard

from orderledger.domain.claims import Reporter
from orderledger.http.bearer import HOLDER, HOLDER_ROLE
from orderledger.http.console.sessions import COOKIE, unsealed
from orderledger.storage.credentials import Role
from orderledger.views.reads import ReadModels

SIGNED = "console_signed"  # the request state's key for who is signed in
CSRF_FIELD = "csrf"


class SignInNeeded(NotAuthorizedException):
    """No session, an expired or forged one, or a revoked token: to the sign-in page."""


@dataclass(frozen=True)
class Signed:
    """Whoever is signed in: an operator (staff, who may act) or an auditor (who may look)."""

    name: str
    role: Role
    csrf: str

    @property
    def may_act(self) -> bool:
        return self.role is Role.OPERATOR

    @property
    def reporter(self) -> Reporter:
        """Who the events of this person's actions name: staff may act on any order."""
        return Reporter(self.name, staff=True)


def signed_in(key: str, reads: ReadModels, clock: Callable[[], datetime]) -> Guard:
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        session = unsealed(connection.cookies.get(COOKIE, ""), key, clock())
        if session is None:
            raise SignInNeeded("sign in")
        name = await reads.holder_of_hash(session.token_hash, session.role)
        if name is None:
            raise SignInNeeded("the token of this session was revoked")
        connection.state[SIGNED] = Signed(name, session.role, session.csrf)
        connection.state[HOLDER] = name  # the access log names who asked
        connection.state[HOLDER_ROLE] = session.role.value
        if isinstance(connection, Request) and connection.method == "POST":
            await check_csrf(connection, session.csrf)

    return guard


async def check_csrf(connection: ASGIConnection[Any, Any, Any, Any], expected: str) -> None:
    assert isinstance(connection, Request)  # an HTTP route's guard is given its request
    form = await connection.form()  # kept on the request: the handler reads it again
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise PermissionDeniedException("this form is stale or forged: reload the page")


async def may_act(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not signed(connection).may_act:
        raise PermissionDeniedException("auditors may look but not act")


def signed(connection: ASGIConnection[Any, Any, Any, Any]) -> Signed:
    person: Signed = connection.state[SIGNED]
    return person
