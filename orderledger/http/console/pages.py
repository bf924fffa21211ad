"""A console page: its template with what every page's layout needs (who is signed in, the
session's CSRF token for its forms, the navigation)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from orderledger.http.console.guards import CSRF_FIELD, SIGNED, Signed
from orderledger.http.console.nav import NAV

Raw = Request[Any, Any, Any]


def page(request: Raw, template: str, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template_name=template,
        status_code=status_code,
        context=layout_context(request, **context),
        headers=NO_STORE,
    )


def layout_context(request: Raw, **context: Any) -> dict[str, Any]:
    """What the layout needs beside the page's own context."""
    signed: Signed | None = request.state.get(SIGNED)
    return {
        "signed": signed,
        "csrf_field": CSRF_FIELD,
        "csrf": signed.csrf if signed else "",
        "nav": [(entry, entry.current(request.url.path)) for entry in NAV],
        **context,
    }


# A page shows what only staff should see: no shared cache keeps it, and no frame shows it.
NO_STORE = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Every script and style is the package's own (static/): nothing else may run or load.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def see_other(path: str) -> Redirect:
    """After a POST: the page to GET (post/redirect/get)."""
    return Redirect(path, status_code=303)
