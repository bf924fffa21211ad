"""The console's overview and orders list show what the read models hold (no browser: the
pages' text; tests/console drives them in Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from litestar.testing import TestClient

from orderledger.application.claiming import WorkClaims
from orderledger.bootstrap import Store
from orderledger.http.app import create_app
from orderledger.http.console.recent import FRESH
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, settle
from tests.http.test_console_sessions import Clock, signed_in

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def orders(store: Store, clock: Clock) -> list[int]:
    """Five orders of "network" (100 at 2.50 per 1000: 0.25 each), one of "other" (at 3)."""
    store.ledger.sync_services([entry(1), entry(2, rate=Decimal("3"))])
    network, _ = open_account(store)
    other, _ = open_account(store, name="other")
    numbers = [
        store.ledger.place_order(network.id, 1, {"link": f"https://x/{i}", "quantity": 100}).number
        for i in range(5)
    ]
    numbers.append(
        store.ledger.place_order(other.id, 2, {"link": "https://y/1", "quantity": 100}).number
    )
    settle(store)
    return numbers


@pytest.fixture
def console(settings: Settings, store: Store, clock: Clock) -> Iterator[Client]:
    with TestClient(create_app(settings, projector=False, clock=clock)) as client:
        signed_in(client, store.credentials.issue(Role.AUDITOR, "audrey", "audrey"))
        yield client


def cells(html: str, row_label: str) -> list[str]:
    """The cells of the table row that starts with `row_label` (tags dropped)."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        texts = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        if texts and texts[0] == row_label:
            return texts
    return []


def test_the_overview_counts_orders_by_status_and_sums_todays_charges_exactly(
    console: Client, store: Store, orders: list[int], clock: Clock
) -> None:
    store.ledger.start_order(orders[0], 3)
    store.ledger.complete_order(orders[1])
    settle(store)
    page = console.get("/console/").text
    assert cells(page, "Pending")[1] == "4"
    assert cells(page, "In progress")[1] == "1"
    assert cells(page, "Completed")[1] == "1"
    assert cells(page, "all")[1] == "6"
    day = clock.now.date().isoformat()
    assert cells(page, day) == [day, "6", "1.55000 USD"]  # 5 x 0.25 + 0.30, exactly


def test_the_overview_shows_each_bots_claims_and_the_expired_ones(
    console: Client, store: Store, orders: list[int], clock: Clock
) -> None:
    claims = WorkClaims(store.ledger, store.db)
    claims.claim_orders("bot-1", 2, lease=timedelta(minutes=5), now=clock.now)
    claims.claim_orders("bot-2", 1, lease=timedelta(minutes=30), now=clock.now)
    settle(store)
    clock.now += timedelta(minutes=10)
    page = console.get("/console/").text
    assert cells(page, "bot-1") == ["bot-1", "orders", "0", "2"]
    assert cells(page, "bot-2") == ["bot-2", "orders", "1", "0"]


def test_the_overview_shows_each_projections_position_and_lag(
    console: Client, store: Store, orders: list[int]
) -> None:
    page = console.get("/console/").text
    position = cells(page, "order_status")
    assert position[2] == "0" and int(position[1]) > 0
    assert position[3] == "running"


def test_the_orders_list_filters_by_link_account_service_and_status(
    console: Client, orders: list[int]
) -> None:
    def listed(query: str) -> list[str]:
        page = console.get(f"/console/orders?{query}")
        assert page.status_code == 200, page.text
        return re.findall(r'href="/console/orders/(\d+)"', page.text)

    assert listed("link=https://x/3") == [str(orders[3])]
    assert listed("account=other") == [str(orders[5])]
    assert listed("service=2") == [str(orders[5])]
    assert listed("status=Pending") == [str(n) for n in reversed(orders)]
    assert listed("status=Completed") == []
    assert listed("until=2000-01-01") == []


def test_the_orders_list_pages_by_keyset_keeping_its_filters(
    console: Client, orders: list[int]
) -> None:
    first = console.get("/console/orders?account=network&limit=2").text
    assert re.findall(r'href="/console/orders/(\d+)"', first) == [str(orders[4]), str(orders[3])]
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older
    url = older.group(1).replace("&amp;", "&")
    assert "account=network" in url and f"before={orders[3]}" in url
    second = console.get(url).text
    assert re.findall(r'href="/console/orders/(\d+)"', second) == [str(orders[2]), str(orders[1])]


def test_a_bad_filter_is_refused_on_the_page(console: Client, orders: list[int]) -> None:
    for query, words in (
        ("status=Lost", "no status 'Lost'"),
        ("since=yesterday", "since: not a date or time"),
        ("account=nobody", "no account 'nobody'"),
    ):
        page = console.get(f"/console/orders?{query}")
        assert page.status_code == 400
        assert words in page.text.replace("&#39;", "'")


def test_the_overviews_figures_are_read_again_after_a_moment(
    console: Client, store: Store, orders: list[int], clock: Clock
) -> None:
    assert cells(console.get("/console/").text, "Completed")[1] == "0"
    store.ledger.complete_order(orders[0])
    settle(store)
    assert cells(console.get("/console/").text, "Completed")[1] == "0"  # as at the same moment
    clock.now += FRESH
    assert cells(console.get("/console/").text, "Completed")[1] == "1"
