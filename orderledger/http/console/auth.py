"""Signing in with an operator's or an auditor's token, and signing out.

The token is read from the form, looked up as an operator's then as an auditor's, and
forgotten: the session cookie keeps only its hash (sessions.py). An API key, or any other
text, is refused on the page itself and opens no session.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from orderledger.http.console.nav import PREFIX
from orderledger.http.console.pages import page, see_other
from orderledger.http.console.parts import ConsoleParts
from orderledger.http.console.sessions import COOKIE, LIFETIME, PATH, opened, seal
from orderledger.storage.credentials import Role, token_hash

Raw = Request[Any, Any, Any]
SIGN_IN = f"{PREFIX}/sign-in"
ANYWHERE = re.compile(r"//|\\|\.\.|[\x00-\x1f]")  # what could lead a redirect off the console
REFUSED = "That token is neither an operator's nor an auditor's (an API key cannot sign in)."


def back_to(asked: object) -> str:
    """Where to go once signed in: the console page asked for, or the overview; never a
    page of another site (`//host/...`) or outside the console."""
    if isinstance(asked, str) and asked.startswith(f"{PREFIX}/") and not ANYWHERE.search(asked):
        return asked
    return f"{PREFIX}/"


def session_cookie(request: Raw, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=value,
        path=PATH,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        # Over TLS, as the request came (uvicorn's proxy headers give a proxy's scheme).
        secure=request.url.scheme == "https",
    )


class SignIn(Controller):
    path = SIGN_IN
    include_in_schema = False

    @get()
    async def form(self, request: Raw) -> Template:
        return page(request, "sign_in.html", next=back_to(request.query_params.get("next")))

    @post(status_code=303)
    async def sign_in(
        self,
        request: Raw,
        console: NamedDependency[ConsoleParts],
        now: NamedDependency[datetime],
    ) -> Template | Redirect:
        form = await request.form()
        token = str(form.get("token") or "").strip()
        back = back_to(form.get("next"))
        for role in (Role.OPERATOR, Role.AUDITOR):
            if token and await console.reads.holder(token, role) is not None:
                session = opened(token_hash(token), role, now)
                redirect = see_other(back)
                redirect.cookies.append(
                    session_cookie(
                        request, seal(session, console.key), int(LIFETIME.total_seconds())
                    )
                )
                return redirect
        return page(request, "sign_in.html", status_code=401, refused=REFUSED, next=back)


class SignOut(Controller):
    path = "/sign-out"  # under the console's guarded router, which is at PREFIX
    include_in_schema = False

    @post(status_code=303)
    async def sign_out(self, request: Raw) -> Redirect:
        redirect = see_other(SIGN_IN)
        redirect.cookies.append(session_cookie(request, "", 0))
        return redirect
