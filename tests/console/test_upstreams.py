"""The orders in doubt resolved in a real browser: the list, the order's page, "attach" with
its confirmation, and the order gone from the list; screenshots of the upstream pages."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page

from orderledger.domain.order import ForwardState, OrderStatus
from orderledger.upstream.answers import StatusAnswer
from tests.console.conftest import Served
from tests.console.test_orders import place

pytestmark = pytest.mark.slow
KEY = "browser-upstream-KEY-0c7f"


def forwarded_by_hand(served: Served) -> tuple[int, int]:
    """Two orders of the unlinked service 2 sent to `bulk` by hand (the server's forwarder
    sends only linked services' orders): one forwarded and charged there, one in doubt."""
    ledger = served.store.ledger
    if ledger.upstream("bulk") is None:
        served.store.upstream_keys.put("bulk", KEY)
        ledger.add_upstream("bulk", "http://127.0.0.1:9/api/v2")
    numbers = []
    for i in range(2):
        number = place(served, f"https://insta.example/p/console-doubt-{i}")
        ledger.begin_forward(number, "bulk", 501)
        numbers.append(number)
    ledger.record_forwarded(numbers[0], "7001")
    said = StatusAnswer(OrderStatus.IN_PROGRESS, Decimal("0.20000"), 100, 100, "USD")
    ledger.follow_upstream(numbers[0], said)
    ledger.forward_in_doubt(numbers[1], "sent, no answer: ReadTimeout")
    return numbers[0], numbers[1]


def in_doubt_list(page: Page, served: Served, number: int, present: bool) -> None:
    """The in-doubt list, reloaded until the read model shows the order (or not)."""
    link = f"#in-doubt a[href='/console/orders/{number}']"
    deadline = time.monotonic() + 15
    while True:
        page.goto(served.url("/console/in-doubt"))
        if (page.locator(link).count() == 1) is present:
            return
        assert time.monotonic() < deadline, f"order {number} never {'came' if present else 'left'}"
        time.sleep(0.2)


def test_staff_attach_an_order_in_doubt_and_it_leaves_the_list(
    staff: Page, served: Served, screenshots: Path
) -> None:
    forwarded, doubtful = forwarded_by_hand(served)
    in_doubt_list(staff, served, doubtful, present=True)
    assert "sent, no answer: ReadTimeout" in staff.locator("#in-doubt").inner_text()
    staff.screenshot(path=str(screenshots / "in-doubt.png"))

    staff.click(f"#in-doubt a[href='/console/orders/{doubtful}']")
    form = staff.locator("#resolutions form[action$='/attach']")
    form.locator("input[name=upstream_order]").fill("7002")
    staff.screenshot(path=str(screenshots / "order-in-doubt.png"), full_page=True)
    form.locator("button").click()  # unconfirmed: the browser holds the form back
    assert served.store.ledger.known_order(doubtful).forward_state is ForwardState.IN_DOUBT
    form.locator("input[name=confirmed]").check()
    form.locator("button").click()
    staff.wait_for_url(lambda url: "done=attach" in url)
    assert staff.locator("#upstream-order").inner_text() == "7002"
    assert "Order.UpstreamOrderAttached by alice" in staff.locator("#history").inner_text()
    in_doubt_list(staff, served, doubtful, present=False)

    staff.goto(served.url("/console/upstreams"))
    assert KEY not in staff.content()
    staff.screenshot(path=str(screenshots / "upstreams.png"))
    staff.click("#upstreams a[href='/console/upstreams/bulk']")
    assert "upstream order 7001" in staff.locator("#statement").inner_text()
    staff.screenshot(path=str(screenshots / "upstream-statement.png"), full_page=True)
    staff.goto(served.url("/console/health"))
    assert staff.locator("#database").inner_text().startswith("answers")
    staff.screenshot(path=str(screenshots / "health.png"), full_page=True)
    assert forwarded != doubtful
