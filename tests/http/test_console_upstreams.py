"""The console's upstream pages without a browser, on both stores: the orders in doubt
listed and resolved (attach, forward again) in the operator's name through the ledger's own
commands, auditors refused; the upstreams with their funds and counts, each one's statement
and its CSV as the command line prints it; the health page as /readyz says; and no upstream
key on any page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.domain.order import ForwardState, OrderStatus
from orderledger.http.app import create_app
from orderledger.http.console.presenters import utc
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from tests.conftest import open_account, settle, use_settings
from tests.http.test_console_pages import cells
from tests.http.test_console_sessions import Clock, signed_in
from tests.upstream.in_doubt import three_forwarded

Client = TestClient  # type: ignore[type-arg]
KEY = "sEcReT-upstream-KEY-4242"  # a key no page may show


@pytest.fixture
def doubtful(store: Store) -> list[int]:
    return three_forwarded(store, KEY, "http://127.0.0.1:9/api/v2")  # nothing answers there


@pytest.fixture
def client(settings: Settings) -> Iterator[Client]:
    with TestClient(create_app(settings, projector=False, clock=Clock())) as client:
        yield client


def staff(client: Client, store: Store) -> str:
    return signed_in(client, store.credentials.issue(Role.OPERATOR, "alice", "alice"))


def listed(client: Client) -> list[str]:
    page = client.get("/console/in-doubt")
    assert page.status_code == 200
    return re.findall(r'<td class="num"><a href="/console/orders/(\d+)">', page.text)


def test_the_orders_in_doubt_are_listed_with_their_upstream_and_reason(
    client: Client, store: Store, doubtful: list[int]
) -> None:
    staff(client, store)
    assert listed(client) == [str(doubtful[2]), str(doubtful[1])]  # newest first
    row = cells(client.get("/console/in-doubt").text, str(doubtful[1]))
    assert row[2:5] == ["bulk", "1", "sent, no answer: ReadTimeout"]
    assert row[5].endswith(" UTC")


def test_staff_attach_the_upstreams_order_in_their_own_name(
    client: Client, store: Store, doubtful: list[int]
) -> None:
    csrf = staff(client, store)
    number = doubtful[1]
    page = client.get(f"/console/orders/{number}").text
    assert 'id="resolutions"' in page and "sent, no answer: ReadTimeout" in page
    answer = client.post(
        f"/console/orders/{number}/attach",
        data={"upstream_order": " 9002 ", "confirmed": "yes", "csrf": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    order = store.ledger.known_order(number)
    assert order.forward_state is ForwardState.FORWARDED and order.upstream_order == "9002"
    settle(store)
    page = client.get(answer.headers["location"]).text
    assert 'Order.UpstreamOrderAttached</strong> by <span class="by">alice' in page
    assert '<dd class="mono" id="upstream-order">9002</dd>' in page
    assert 'id="resolutions"' not in page
    assert str(number) not in listed(client)


def test_staff_forward_an_order_in_doubt_again_in_their_own_name(
    client: Client, store: Store, doubtful: list[int]
) -> None:
    csrf = staff(client, store)
    number = doubtful[2]
    answer = client.post(
        f"/console/orders/{number}/forward-again",
        data={"confirmed": "yes", "csrf": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    order = store.ledger.known_order(number)
    assert order.forward_state is None and order.status is OrderStatus.PENDING
    settle(store)
    page = client.get(answer.headers["location"]).text
    assert 'Order.ForwardReopened</strong> by <span class="by">alice' in page
    assert listed(client) == [str(doubtful[1])]


def test_a_resolution_unconfirmed_or_of_an_order_not_in_doubt_is_refused_on_the_page(
    client: Client, store: Store, doubtful: list[int]
) -> None:
    csrf = staff(client, store)
    unconfirmed = client.post(f"/console/orders/{doubtful[1]}/forward-again", data={"csrf": csrf})
    assert unconfirmed.status_code == 422 and "confirmed" in unconfirmed.text
    not_in_doubt = client.post(
        f"/console/orders/{doubtful[0]}/attach",
        data={"upstream_order": "1", "confirmed": "yes", "csrf": csrf},
    )
    assert not_in_doubt.status_code == 409
    assert f"order {doubtful[0]} is not in doubt" in not_in_doubt.text
    assert store.ledger.known_order(doubtful[1]).forward_state is ForwardState.IN_DOUBT
    assert store.ledger.known_order(doubtful[0]).upstream_order == "9001"


def test_an_auditor_sees_the_doubt_but_may_not_resolve_it(
    client: Client, store: Store, doubtful: list[int]
) -> None:
    csrf = signed_in(client, store.credentials.issue(Role.AUDITOR, "audrey", "audrey"))
    assert listed(client) == [str(doubtful[2]), str(doubtful[1])]
    page = client.get(f"/console/orders/{doubtful[1]}").text
    assert "sent, no answer: ReadTimeout" in page and 'id="resolutions"' not in page
    for action, form in (
        ("attach", {"upstream_order": "9002", "confirmed": "yes"}),
        ("forward-again", {"confirmed": "yes"}),
    ):
        answer = client.post(f"/console/orders/{doubtful[1]}/{action}", data={**form, "csrf": csrf})
        assert answer.status_code == 403
    balance = client.post("/console/upstreams/bulk/balance", data={"csrf": csrf})
    assert balance.status_code == 403
    assert store.ledger.known_order(doubtful[1]).forward_state is ForwardState.IN_DOUBT
    assert "Ask balance" not in client.get("/console/upstreams").text


def test_a_forwarded_orders_page_shows_its_cost_and_margin_as_history_does(
    client: Client, store: Store, doubtful: list[int]
) -> None:
    staff(client, store)
    page = client.get(f"/console/orders/{doubtful[0]}").text
    assert '<dd class="mono" id="upstream-order">9001</dd>' in page
    assert '<dd id="cost">2.50000 USD</dd>' in page
    assert '<dd id="margin">0.50000 USD</dd>' in page  # price 3, cost 2.5


def test_the_upstreams_page_shows_funds_services_linked_and_orders(
    client: Client, store: Store, doubtful: list[int]
) -> None:
    staff(client, store)
    row = cells(client.get("/console/upstreams").text, "bulk")
    assert row[1:7] == ["http://127.0.0.1:9/api/v2", "ok", "1", "3", "1", "2"]
    account, _ = open_account(store, name="other")
    waiting = store.ledger.place_order(account.id, 1, {"link": "https://y/1", "quantity": 1000})
    store.ledger.begin_forward(waiting.number, "bulk", 501)
    until = datetime.now(UTC) + timedelta(minutes=10)
    store.ledger.forward_short_of_funds(waiting.number, "bulk", "Not enough funds", until)
    row = cells(client.get("/console/upstreams").text, "bulk")
    assert row[2] == f"SHORT Not enough funds; orders held until {utc(until)}"


def test_the_statement_page_and_its_csv_are_the_command_lines(
    client: Client,
    store: Store,
    settings: Settings,
    doubtful: list[int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    staff(client, store)
    page = client.get("/console/upstreams/bulk")
    assert page.status_code == 200
    assert "upstream order 9001" in page.text and "2.50000 USD" in page.text
    csv = client.get("/console/upstreams/bulk/statement.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    use_settings(monkeypatch, settings)
    assert main(["upstreams", "statement", "bulk"]) == 0
    assert csv.text == capsys.readouterr().out
    assert client.get("/console/upstreams/nobody").status_code == 404
    assert client.get("/console/upstreams/bulk?from=soon").status_code == 400


def test_asking_an_upstream_that_does_not_answer_shows_why(
    client: Client, store: Store, doubtful: list[int]
) -> None:
    csrf = staff(client, store)
    answer = client.post("/console/upstreams/bulk/balance", data={"csrf": csrf})
    assert answer.status_code == 200
    shown = re.search(r'id="balance">([^<]*)<', answer.text)
    assert shown and shown.group(1).startswith("Balance at bulk: no answer: ")


def test_the_health_page_says_what_readyz_says(
    client: Client, store: Store, doubtful: list[int]
) -> None:
    staff(client, store)
    ready = client.get("/readyz").json()
    page = client.get("/console/health").text
    assert ('id="ready" class="notice"' in page) is ready["ready"]
    for name, figures in ready["projections"].items():
        assert cells(page, name)[1:3] == [str(figures["position"]), str(figures["lag"])]
    assert 'href="/metrics"' in page


def test_no_page_shows_an_upstreams_key(client: Client, store: Store, doubtful: list[int]) -> None:
    csrf = staff(client, store)
    pages = [
        client.get(path).text
        for path in (
            "/console/",
            "/console/orders",
            "/console/in-doubt",
            "/console/upstreams",
            "/console/upstreams/bulk",
            "/console/upstreams/bulk/statement.csv",
            "/console/health",
            *(f"/console/orders/{n}" for n in doubtful),
        )
    ]
    pages.append(client.post("/console/upstreams/bulk/balance", data={"csrf": csrf}).text)
    assert all(page and KEY not in page for page in pages)
    assert all(KEY.lower() not in page.lower() for page in pages)
