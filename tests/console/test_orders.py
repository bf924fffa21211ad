"""An order's life run from the console in a real browser, checked against what the network
sees through /api/v2: find it by its link, start it, complete it, refund it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.console.conftest import Served

pytestmark = pytest.mark.slow


def network(served: Served, **fields: Any) -> httpx.Response:
    answer = httpx.post(served.api, data={"key": served.key, **fields}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer


def place(served: Served, link: str) -> int:
    placed = network(served, action="add", service="1", link=link, quantity="100").json()
    return int(placed["order"])


def status_text(served: Served, number: int) -> str:
    """The network's `status` answer of the order, as the bytes it gets."""
    return network(served, action="status", order=str(number)).text


def balance(served: Served) -> Decimal:
    return Decimal(network(served, action="balance").json()["balance"])


def find_by_link(page: Page, served: Served, link: str) -> None:
    """The orders list, filtered by the link, until the read model has the order."""
    page.goto(served.url("/console/orders"))
    page.fill("#f-link", link)
    page.click("text=Find")
    # htmx fetched the list in place and put the filter in the address: bookmarkable
    page.wait_for_url(lambda url: "link=" in url)
    deadline = time.monotonic() + 15
    while page.locator("#orders tbody a").count() == 0:
        assert time.monotonic() < deadline, "the order never appeared in the list"
        time.sleep(0.2)
        page.reload()


def act(page: Page, action: str, **fields: str) -> None:
    form = page.locator(f"#actions form[action$='/{action}']")
    for name, value in fields.items():
        form.locator(f"input[name={name}]").fill(value)
    form.locator("button").click()
    page.wait_for_load_state()


def test_staff_find_start_complete_and_refund_an_order_and_the_network_sees_each(
    staff: Page, served: Served, screenshots: Path
) -> None:
    link = "https://insta.example/p/console-life"
    number = place(served, link)
    find_by_link(staff, served, link)
    assert staff.locator("#orders tbody tr").count() == 1
    staff.screenshot(path=str(screenshots / "orders.png"))
    staff.click(f"#orders a[href='/console/orders/{number}']")
    assert staff.locator("h1").inner_text().startswith(f"Order {number}")
    assert staff.locator("#answer").inner_text() == status_text(served, number)
    assert '"status":"Pending"' in staff.locator("#answer").inner_text()

    act(staff, "start", start_count="120")
    assert '"status":"In progress"' in status_text(served, number)
    assert staff.locator("#answer").inner_text() == status_text(served, number)

    act(staff, "complete")
    assert '"status":"Completed"' in status_text(served, number)
    assert staff.locator("#answer").inner_text() == status_text(served, number)
    staff.screenshot(path=str(screenshots / "order.png"), full_page=True)

    before = balance(served)
    act(staff, "refund")
    assert '"status":"Refunded"' in status_text(served, number)
    assert balance(served) == before + Decimal("0.25")  # the whole charge came back

    history = staff.locator("#history li")
    assert "by network" in history.first.inner_text()
    assert "Order.Started by alice" in staff.locator("#history").inner_text()
    assert "Order.Refunded by alice" in staff.locator("#history").inner_text()


def test_a_refused_action_says_why_on_the_page(staff: Page, served: Served) -> None:
    number = place(served, "https://insta.example/p/console-refused")
    staff.goto(served.url(f"/console/orders/{number}"))
    act(staff, "start", start_count="-4")
    assert "start_count must not be negative" in staff.locator("#refused").inner_text()
    assert '"status":"Pending"' in status_text(served, number)


def test_a_form_forged_without_its_csrf_token_is_refused(staff: Page, served: Served) -> None:
    number = place(served, "https://insta.example/p/console-forged")
    cookies = {c["name"]: c["value"] for c in staff.context.cookies()}
    forged = httpx.post(
        served.url(f"/console/orders/{number}/cancel"), cookies=cookies, data={}, timeout=10
    )
    assert forged.status_code == 403
    assert '"status":"Pending"' in status_text(served, number)


def test_an_auditor_finds_no_action_and_a_forged_one_is_refused(
    auditor: Page, served: Served, screenshots: Path
) -> None:
    number = place(served, "https://insta.example/p/console-audited")
    auditor.goto(served.url(f"/console/orders/{number}"))
    assert auditor.locator("#answer").inner_text() == status_text(served, number)
    assert auditor.locator("#actions").count() == 0
    assert auditor.locator("main button, main form[method=post]").count() == 0
    assert "auditor: read-only" in auditor.locator(".who").inner_text()
    auditor.screenshot(path=str(screenshots / "order-auditor.png"))
    csrf = auditor.locator("input[name=csrf]").first.get_attribute("value")
    answer = auditor.context.request.post(
        served.url(f"/console/orders/{number}/cancel"), form={"csrf": csrf or ""}
    )
    assert answer.status == 403
    assert '"status":"Pending"' in status_text(served, number)


def test_the_order_page_reads_on_a_phone(
    browser: Browser, served: Served, screenshots: Path
) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        page.goto(served.url("/console/sign-in"))
        page.fill("#token", served.operator)
        page.click("button[type=submit]")
        page.wait_for_url(served.url("/console/"))
        number = place(served, "https://insta.example/p/console-phone")
        page.goto(served.url(f"/console/orders/{number}"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page is wider than the phone"
        page.screenshot(path=str(screenshots / "order-phone.png"))
    finally:
        phone.close()


def test_the_overview_charts_what_was_ordered_today(
    staff: Page, served: Served, screenshots: Path
) -> None:
    placed_at = datetime.now(UTC).replace(microsecond=0)
    place(served, "https://insta.example/p/console-overview")
    # The figures are read at most every 15 s (console/recent.py), and the page says when:
    # reloaded until they were read after the order (the next second, to be sure).
    deadline = time.monotonic() + 60
    while True:
        staff.goto(served.url("/console/"))
        staff.wait_for_selector("#chart canvas")  # uPlot, from the package, drew the chart
        said = staff.locator("h1 small").inner_text().removeprefix("as at ").removesuffix(" UTC")
        if datetime.fromisoformat(said).replace(tzinfo=UTC) > placed_at:
            break
        assert time.monotonic() < deadline, f"the figures stayed as at {said}"
        time.sleep(1)
    assert int(staff.locator(".tile .figure").first.inner_text()) >= 1
    staff.screenshot(path=str(screenshots / "overview.png"), full_page=True)
