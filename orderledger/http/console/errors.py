"""The console's answers to refusals: pages, not JSON. No session: to the sign-in page; a
forbidden action (an auditor's, a forged form) or anything else refused: a page that says so,
with the refusal's status."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.types import ExceptionHandlersMap

from orderledger.http.console.auth import SIGN_IN
from orderledger.http.console.guards import SignInNeeded
from orderledger.http.console.pages import page

Raw = Request[Any, Any, Any]
log = logging.getLogger(__name__)


def to_sign_in(request: Raw, _: SignInNeeded) -> Response[Any]:
    """To the sign-in page, which comes back to the page asked for (a bookmark, a shared
    link) once signed in."""
    if request.method != "GET":
        return Redirect(SIGN_IN, status_code=303)
    asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"{SIGN_IN}?{urlencode({'next': asked})}", status_code=303)


def refusal_page(request: Raw, error: HTTPException) -> Response[Any]:
    if error.status_code >= 500:
        return failure_page(request, error)
    return page(request, "refused.html", status_code=error.status_code, detail=error.detail)


def failure_page(request: Raw, error: Exception) -> Response[Any]:
    # The operator reads the log; the page says only that it failed.
    log.exception("unexpected error answering %s", request.url.path, exc_info=error)
    return page(request, "refused.html", status_code=500, detail="Something failed: see the log.")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    SignInNeeded: to_sign_in,
    HTTPException: refusal_page,
    Exception: failure_page,
}
