"""Bearer tokens for the fulfilment and audit APIs: a guard per role, one look-up, one refusal.

The guard looks the request's token up once, before the handler's parameters are read, and
leaves whom it belongs to on the request's state; the `token_holder` dependency hands that
name to the handlers that record it (a report records its bot).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard

from orderledger.storage.credentials import Role
from orderledger.views.reads import ReadModels

HOLDER = "bearer_token_holder"  # the request state's key for what the guard found
HOLDER_ROLE = "token_holder_role"  # and its role, where the path does not say (the console)


def requires(role: Role, reads: ReadModels) -> Guard:
    """A guard that admits only requests whose `Authorization: Bearer` token is a `role`'s
    token; any other is refused with 401."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        connection.state[HOLDER] = await bearer_subject(connection, role, reads)

    return guard


async def bearer_subject(
    connection: ASGIConnection[Any, Any, Any, Any], role: Role, reads: ReadModels
) -> str:
    """Whom the request's `Authorization: Bearer` token belongs to, in this role; else 401."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(f"send Authorization: Bearer <{role.value} token>")
    subject = await reads.holder(token.strip(), role)
    if subject is None:
        raise NotAuthorizedException(f"invalid {role.value} token")
    return subject


def token_holder(request: Request[Any, Any, Any]) -> str:
    """Whom the request's token belongs to, as the route's guard found it (a dependency)."""
    holder: str = request.state[HOLDER]
    return holder
