"""The console's sessions and forms, without a browser: cookies, CSRF, roles, revocation,
expiry and the access log (the browser tests, tests/console, drive the same pages)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.http.app import create_app
from orderledger.http.console.sessions import COOKIE, LIFETIME
from orderledger.storage.console_secret import stored_console_secret
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, settle

Client = TestClient  # type: ignore[type-arg]


class Clock:
    """Now, until a test moves it (the events a test records carry the real time)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def console(settings: Settings, store: Store, clock: Clock) -> Iterator[Client]:
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


def signed_in(client: Client, token: str) -> str:
    """Sign in; the session's CSRF token, as the page's forms carry it."""
    answer = client.post("/console/sign-in", data={"token": token}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = client.get("/console/orders?limit=1")  # not the overview: its figures are kept
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def pending_order(store: Store) -> int:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    order = store.ledger.place_order(
        account.id, 1, {"link": "https://example.com/p", "quantity": 100}
    )
    settle(store)
    return order.number


def status_of(store: Store, number: int) -> str:
    order = store.ledger.order(number)
    assert order is not None
    return order.status.value


def test_a_form_without_its_csrf_token_is_refused_and_records_nothing(
    console: Client, store: Store
) -> None:
    number = pending_order(store)
    signed_in(console, store.credentials.issue(Role.OPERATOR, "alice", "alice"))
    for form in ({"start_count": "5"}, {"start_count": "5", "csrf": "forged"}):
        answer = console.post(f"/console/orders/{number}/start", data=form)
        assert answer.status_code == 403
        assert "stale or forged" in answer.text
    assert status_of(store, number) == "Pending"


def test_staff_start_an_order_in_their_own_name(console: Client, store: Store) -> None:
    number = pending_order(store)
    csrf = signed_in(console, store.credentials.issue(Role.OPERATOR, "alice", "alice"))
    answer = console.post(
        f"/console/orders/{number}/start",
        data={"start_count": "5", "csrf": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/orders/{number}?done=start"
    assert status_of(store, number) == "In progress"
    page = console.get(answer.headers["location"])
    assert 'Order.Started</strong> by <span class="by">alice' in page.text


def test_a_refused_action_shows_the_rule_on_the_page(console: Client, store: Store) -> None:
    number = pending_order(store)
    csrf = signed_in(console, store.credentials.issue(Role.OPERATOR, "alice", "alice"))
    refused = console.post(f"/console/orders/{number}/refund", data={"csrf": csrf})
    assert refused.status_code == 409
    assert 'role="alert"' in refused.text
    malformed = console.post(
        f"/console/orders/{number}/start", data={"start_count": "many", "csrf": csrf}
    )
    assert malformed.status_code == 422
    assert "start_count" in malformed.text
    assert status_of(store, number) == "Pending"


def test_an_auditor_sees_no_action_and_may_not_act(console: Client, store: Store) -> None:
    number = pending_order(store)
    csrf = signed_in(console, store.credentials.issue(Role.AUDITOR, "audrey", "audrey"))
    page = console.get(f"/console/orders/{number}")
    assert page.status_code == 200
    assert 'id="actions"' not in page.text
    answer = console.post(
        f"/console/orders/{number}/start", data={"start_count": "5", "csrf": csrf}
    )
    assert answer.status_code == 403
    assert status_of(store, number) == "Pending"


def test_a_changed_cookie_is_no_session(console: Client, store: Store) -> None:
    signed_in(console, store.credentials.issue(Role.OPERATOR, "alice", "alice"))
    sealed = console.cookies[COOKIE]
    payload, _, signature = sealed.partition(".")
    console.cookies.set(COOKIE, payload[:-2] + "AA." + signature, path="/console")
    answer = console.get("/console/orders", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=%2Fconsole%2Forders"


def test_signing_in_comes_back_to_the_page_asked_for(console: Client, store: Store) -> None:
    token = store.credentials.issue(Role.OPERATOR, "alice", "alice")
    asked = console.get("/console/orders?status=Pending", follow_redirects=False)
    sign_in = console.get(asked.headers["location"])
    assert 'name="next" value="/console/orders?status=Pending"' in sign_in.text
    back = console.post(
        "/console/sign-in",
        data={"token": token, "next": "/console/orders?status=Pending"},
        follow_redirects=False,
    )
    assert back.headers["location"] == "/console/orders?status=Pending"
    for elsewhere in ("https://evil.example/", "//evil.example/console/", "/api/v2"):
        sent = console.post(
            "/console/sign-in", data={"token": token, "next": elsewhere}, follow_redirects=False
        )
        assert sent.headers["location"] == "/console/"


def test_a_session_expires(console: Client, store: Store, clock: Clock) -> None:
    signed_in(console, store.credentials.issue(Role.OPERATOR, "alice", "alice"))
    clock.now += LIFETIME - timedelta(seconds=1)
    assert console.get("/console/", follow_redirects=False).status_code == 200
    clock.now += timedelta(seconds=1)
    assert console.get("/console/", follow_redirects=False).status_code == 303


def test_a_revoked_token_ends_its_session(console: Client, store: Store) -> None:
    signed_in(console, store.credentials.issue(Role.OPERATOR, "bob", "bob"))
    store.credentials.revoke_named(Role.OPERATOR, "bob")
    assert console.get("/console/", follow_redirects=False).status_code == 303


def test_over_tls_the_cookie_is_secure(settings: Settings, store: Store) -> None:
    token = store.credentials.issue(Role.OPERATOR, "alice", "alice")
    with TestClient(create_app(settings), base_url="https://console.example") as client:
        answer = client.post("/console/sign-in", data={"token": token}, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_the_access_log_shows_who_but_no_token_or_cookie(
    console: Client, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    token = store.credentials.issue(Role.OPERATOR, "alice", "alice")
    with caplog.at_level(logging.INFO, logger="orderledger.access"):
        signed_in(console, token)
        console.get("/console/orders?link=https://example.com/secret-ish")
    lines = [r.getMessage() for r in caplog.records if r.name == "orderledger.access"]
    assert any("/console/orders" in line and "operator=alice" in line for line in lines)
    text = "\n".join(lines)
    assert token not in text
    assert console.cookies[COOKIE] not in text
    assert "secret-ish" not in text


def test_every_worker_signs_with_the_stores_one_key(store: Store) -> None:
    first = stored_console_secret(store.db)
    assert stored_console_secret(store.db) == first
    assert len(first) == 64


ORDER_ACTIONS = [
    # (what staff did first, the action, its form, the status after)
    ([], "cancel", {}, "Canceled"),
    ([], "fail", {"reason": "the link is private"}, "Failed"),
    ([("start", {"start_count": "7"})], "deliver", {"delivered": "40"}, "In progress"),
    ([("start", {"start_count": "7"})], "partial", {"remains": "60"}, "Partial"),
    ([("start", {"start_count": "7"})], "complete", {}, "Completed"),
]


@pytest.mark.parametrize(("before", "action", "form", "after"), ORDER_ACTIONS)
def test_each_order_action_runs_the_ledgers_command(
    console: Client,
    store: Store,
    before: list[tuple[str, dict[str, str]]],
    action: str,
    form: dict[str, str],
    after: str,
) -> None:
    number = pending_order(store)
    csrf = signed_in(console, store.credentials.issue(Role.OPERATOR, "alice", "alice"))
    for step, fields in [*before, (action, form)]:
        done = console.post(
            f"/console/orders/{number}/{step}",
            data={**fields, "csrf": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    assert status_of(store, number) == after


@pytest.mark.parametrize(
    ("steps", "after"),
    [(["start", "complete"], "Completed"), (["reject"], "Rejected"), (["start", "fail"], "Failed")],
)
def test_each_refill_action_runs_the_ledgers_command(
    console: Client, store: Store, steps: list[str], after: str
) -> None:
    store.ledger.sync_services([entry(1, refill=True)])
    account, _ = open_account(store)
    number = store.ledger.place_order(
        account.id, 1, {"link": "https://example.com/r", "quantity": 100}
    ).number
    store.ledger.complete_order(number)
    refill = store.ledger.request_refill(account.id, number)
    settle(store)
    csrf = signed_in(console, store.credentials.issue(Role.OPERATOR, "alice", "alice"))
    page = console.get(f"/console/orders/{number}").text
    assert f'action="/console/refills/{refill.number}/{steps[0]}"' in page
    for step in steps:
        done = console.post(
            f"/console/refills/{refill.number}/{step}",
            data={"csrf": csrf, "reason": "not needed"},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/console/orders/{number}?done=refill-{step}"
    assert store.ledger.refill(refill.number).status.value == after


def test_a_refused_refill_action_is_shown_on_its_orders_page(console: Client, store: Store) -> None:
    store.ledger.sync_services([entry(1, refill=True)])
    account, _ = open_account(store)
    number = store.ledger.place_order(
        account.id, 1, {"link": "https://example.com/r", "quantity": 100}
    ).number
    store.ledger.complete_order(number)
    refill = store.ledger.request_refill(account.id, number)
    store.ledger.complete_refill(refill.number)
    settle(store)
    csrf = signed_in(console, store.credentials.issue(Role.OPERATOR, "alice", "alice"))
    refused = console.post(
        f"/console/refills/{refill.number}/reject", data={"csrf": csrf, "reason": "late"}
    )
    assert refused.status_code == 409
    assert f"refill {refill.number} is already Completed" in refused.text
    assert f"<h1>Order {number}" in refused.text
    unknown = console.post("/console/refills/999/start", data={"csrf": csrf})
    assert unknown.status_code == 404
