"""The accounts, services, fulfilment and projections pages in a real browser, checked
against what the network sees through /api/v2 and what the store holds."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from orderledger.application.catalogue_import import current_catalogue
from orderledger.domain.account import Billing
from orderledger.storage.credentials import Role
from tests.console.conftest import Served, sign_in

pytestmark = pytest.mark.slow
PAGES = (
    "/console/accounts",
    "/console/accounts/network",
    "/console/services",
    "/console/fulfilment",
    "/console/projections",
)


def network(served: Served, key: str, **fields: str) -> httpx.Response:
    answer = httpx.post(served.api, data={"key": key, **fields}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer


def until(check: Callable[[], bool], what: str, page: Page | None = None) -> None:
    deadline = time.monotonic() + 15
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
        if page is not None:
            page.reload()


def statement_rows(page: Page) -> list[tuple[str, str, str]]:
    """The statement's lines on the page: entry, amount, balance."""
    rows = page.locator("#statement tbody tr")
    return [
        tuple(rows.nth(i).locator("td").nth(c).inner_text().strip() for c in (2, 4, 5))  # type: ignore[misc]
        for i in range(rows.count())
    ]


def test_a_deposit_changes_the_statement_and_balance_and_the_csv_matches_the_page(
    staff: Page, served: Served, screenshots: Path
) -> None:
    network(
        served, served.key, action="add", service="1", link="https://x.example/s", quantity="100"
    )
    staff.goto(served.url("/console/accounts"))
    until(
        lambda: staff.locator("#accounts a", has_text="network").count() == 1,
        "the account never appeared in the list",
        staff,
    )
    staff.screenshot(path=str(screenshots / "accounts.png"))
    staff.click("#accounts a:text-is('network')")
    before = Decimal(staff.locator("#balance").inner_text().split()[0])
    lines = len(statement_rows(staff))

    staff.fill("#deposit-amount", "12.34")
    staff.fill("#deposit input[name=note]", "wire 77")
    staff.click("#deposit button")
    staff.wait_for_url(lambda url: "done=deposit" in url)
    assert Decimal(staff.locator("#balance").inner_text().split()[0]) == before + Decimal("12.34")
    rows = statement_rows(staff)
    assert len(rows) == lines + 1
    assert rows[-2] == ("deposit", "12.34000", f"{before + Decimal('12.34'):.5f}")
    assert "alice" in staff.locator("#statement tbody tr").nth(len(rows) - 2).inner_text()
    shown = Decimal(network(served, served.key, action="balance").json()["balance"])
    assert shown == before + Decimal("12.34")
    staff.screenshot(path=str(screenshots / "account.png"), full_page=True)

    with staff.expect_download() as download:
        staff.click("#csv")
    text = Path(download.value.path()).read_text()
    from_file = [(r["entry"], r["amount"], r["balance"]) for r in csv.DictReader(io.StringIO(text))]
    assert from_file == rows


def test_a_new_api_key_works_and_is_not_on_the_page_after_a_reload(
    staff: Page, served: Served
) -> None:
    account = served.store.ledger.open_account("keyed", "EUR", Billing.PREPAID, Decimal(0))
    old = served.store.credentials.issue(Role.API, str(account.id), "keyed")
    served.store.ledger.deposit("keyed", Decimal("7"))
    staff.goto(served.url("/console/accounts/keyed"))
    staff.click("#new-key-form button")
    staff.wait_for_selector("#key")
    key = staff.locator("#key").inner_text().strip()
    assert len(key) == 32
    answer = network(served, key, action="balance").json()
    assert answer == {"balance": "7.00000", "currency": "EUR"}
    refused = httpx.post(served.api, data={"key": old, "action": "balance"}, timeout=10)
    assert refused.json() == {"error": "Invalid API key"}
    staff.reload()
    assert staff.url == served.url("/console/accounts/keyed")
    assert staff.locator("#key").count() == 0
    assert key not in staff.content()
    network(served, key, action="balance")  # the reload issued no other key


def catalogue(tmp_path: Path, entries: list[dict[str, object]]) -> Path:
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(entries))
    return path


def service(number: int, name: str, category: str = "Tests") -> dict[str, object]:
    return {
        "service": number,
        "name": name,
        "type": "Default",
        "category": category,
        "rate": "2.50",
        "min": 10,
        "max": 10000,
    }


def test_services_are_searched_and_an_import_is_previewed_before_it_is_applied(
    staff: Page, served: Served, screenshots: Path, tmp_path: Path
) -> None:
    staff.goto(served.url("/console/services?q=likes"))
    assert staff.locator("#services tbody tr").count() == 1
    assert staff.locator("#q").input_value() == "likes"
    staff.goto(served.url("/console/services"))
    staff.screenshot(path=str(screenshots / "services.png"))

    upload = catalogue(
        tmp_path,
        [service(1, "Service 1"), service(2, "Likes, real"), service(3, "Views", "Video")],
    )
    staff.set_input_files("#file", str(upload))
    staff.click("#import button")
    staff.wait_for_selector("#summary")
    assert "Would add 1, change 1, enable 0, disable 0" in staff.locator("#summary").inner_text()
    assert sorted(current_catalogue(served.store.ledger)) == [1, 2]  # nothing recorded yet
    staff.screenshot(path=str(screenshots / "services-import.png"), full_page=True)

    staff.click("#apply button")
    staff.wait_for_selector("#done")
    assert "2 change(s) recorded" in staff.locator("#done").inner_text()
    now = current_catalogue(served.store.ledger)
    assert sorted(now) == [1, 2, 3] and now[2].name == "Likes, real"
    staff.goto(served.url("/console/services?q=video"))
    until(
        lambda: staff.locator("#services tbody tr", has_text="Views").count() == 1,
        "the imported service never appeared",
        staff,
    )


def test_revoking_a_bot_ends_its_console_session(
    staff: Page, served: Served, browser: Browser, screenshots: Path
) -> None:
    token = served.store.credentials.issue(Role.OPERATOR, "bot-9", "bot-9")
    number = network(
        served, served.key, action="add", service="1", link="https://x.example/bot", quantity="100"
    ).json()["order"]
    headers = {"Authorization": f"Bearer {token}"}
    claimed: list[object] = []

    def claim() -> bool:
        answer = httpx.post(
            f"{served.base}/dispatch/orders/claim", json={"limit": 5}, headers=headers, timeout=10
        )
        claimed.extend(o["order"] for o in answer.json().get("orders", []))
        return number in claimed

    until(claim, "the bot never got the order")
    bot_browser: BrowserContext = browser.new_context()
    try:
        bot = sign_in(bot_browser, served, token)
        bot.wait_for_url(served.url("/console/"))
        staff.goto(served.url("/console/fulfilment"))
        row = staff.locator("#bots tr[data-bot='bot-9']")
        assert row.locator("td").nth(4).inner_text() == str(len(claimed))
        assert (
            staff.locator(
                f"table.claims[data-bot='bot-9'] a[href='/console/orders/{number}']"
            ).count()
            == 1
        )
        staff.screenshot(path=str(screenshots / "fulfilment.png"), full_page=True)
        row.locator("button", has_text="Revoke").click()
        staff.wait_for_selector("#done")
        assert staff.locator("#bots tr[data-bot='bot-9']").count() == 0
        bot.goto(served.url("/console/orders"))
        assert bot.url.startswith(served.url("/console/sign-in"))
        refused = httpx.post(f"{served.base}/dispatch/orders/claim", json={}, headers=headers)
        assert refused.status_code == 401
    finally:
        bot_browser.close()


def test_the_projections_page_shows_positions_and_verify_says_ok(
    staff: Page, served: Served, screenshots: Path
) -> None:
    staff.goto(served.url("/console/projections"))
    positions = staff.locator("#projections td.position")
    assert positions.count() >= 5
    assert all(int(positions.nth(i).inner_text()) > 0 for i in range(positions.count()))
    assert "running" in staff.locator("#projections").inner_text()
    staff.screenshot(path=str(screenshots / "projections.png"))
    staff.click("#verify")
    staff.wait_for_selector("#verdict")
    assert staff.locator("#verdict").inner_text().startswith("OK: the read models match")
    staff.screenshot(path=str(screenshots / "verify.png"))


def test_an_auditor_finds_no_form_on_these_pages(
    auditor: Page, served: Served, screenshots: Path
) -> None:
    for path in PAGES:
        auditor.goto(served.url(path))
        assert auditor.locator("main h1").count() == 1, path
        # Only searches and filters (GET forms): no form that changes anything.
        assert auditor.locator("main form:not([method=get])").count() == 0, path
        assert auditor.locator("main button:not(form[method=get] button)").count() == 0, path
    auditor.goto(served.url("/console/accounts/network"))
    auditor.screenshot(path=str(screenshots / "account-auditor.png"))


def test_an_account_reads_on_a_phone(browser: Browser, served: Served, screenshots: Path) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = sign_in(phone, served, served.operator)
        page.wait_for_url(served.url("/console/"))
        page.goto(served.url("/console/accounts/network"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the screen: tables scroll inside their cards
        page.screenshot(path=str(screenshots / "account-phone.png"), full_page=True)
    finally:
        phone.close()
