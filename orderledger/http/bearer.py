"""Bearer tokens for the dispatch and audit APIs: one look-up, one refusal."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from orderledger.http.api_v2 import ApiContext
from orderledger.storage.credentials import Role


async def bearer_subject(request: Request[Any, Any, Any], role: Role) -> str:
    """Whom the request's `Authorization: Bearer` token belongs to, in this role; else 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(f"send Authorization: Bearer <{role.value} token>")
    api: ApiContext = request.app.state.api
    subject = await api.reads.holder(token.strip(), role)
    if subject is None:
        raise NotAuthorizedException(f"invalid {role.value} token")
    return subject
