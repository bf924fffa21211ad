"""Signing in to the console in a real browser: who may, who may not, and signing out."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page

from orderledger.storage.credentials import Role
from tests.console.conftest import Served, sign_in

pytestmark = pytest.mark.slow


def test_an_operator_signs_in_and_sees_the_overview(staff: Page, served: Served) -> None:
    assert staff.locator("h1").inner_text().startswith("Overview")
    assert "alice" in staff.locator(".who").inner_text()
    assert staff.locator("nav a[aria-current=page]").inner_text() == "Overview"


def test_a_bad_token_is_refused_with_a_clear_word(
    context: BrowserContext, served: Served, screenshots: Path
) -> None:
    page = sign_in(context, served, "not-a-token")
    refusal = page.locator("[role=alert]")
    assert "neither an operator's nor an auditor's" in refusal.inner_text()
    assert page.url == served.url("/console/sign-in")
    assert context.cookies() == []
    page.screenshot(path=str(screenshots / "sign-in.png"))


def test_an_api_key_cannot_sign_in(context: BrowserContext, served: Served) -> None:
    page = sign_in(context, served, served.key)
    assert "an API key cannot sign in" in page.locator("[role=alert]").inner_text()
    assert context.cookies() == []


def test_the_session_cookie_is_httponly_and_strict(staff: Page, served: Served) -> None:
    (cookie,) = staff.context.cookies()
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["secure"] is False  # served over plain HTTP here
    assert served.operator not in cookie["value"]


def test_an_api_key_reaches_no_console_page(served: Served) -> None:
    for headers in ({"Authorization": f"Bearer {served.key}"}, {"Cookie": f"key={served.key}"}):
        answer = httpx.get(served.url("/console/orders"), headers=headers, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/sign-in?next=")


def test_signing_out_ends_the_session(staff: Page, served: Served) -> None:
    staff.click("text=Sign out")
    staff.wait_for_url(served.url("/console/sign-in"))
    staff.goto(served.url("/console/orders"))
    assert staff.url.startswith(served.url("/console/sign-in?next="))


def test_a_revoked_token_ends_its_sessions_at_the_next_request(
    context: BrowserContext, served: Served
) -> None:
    token = served.store.credentials.issue(Role.OPERATOR, "carol", "carol")
    page = sign_in(context, served, token)
    page.wait_for_url(served.url("/console/"))
    served.store.credentials.revoke_named(Role.OPERATOR, "carol")
    page.goto(served.url("/console/orders"))
    assert page.url.startswith(served.url("/console/sign-in?next="))
