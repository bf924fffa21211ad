"""The console's accounts, services, fulfilment and projections pages, without a browser:
what each shows, that each action goes through the ledger's own command in the operator's
name, that an auditor may look but not act, and that no key is shown twice or logged (the
browser tests, tests/console/test_pages.py, drive the same pages)."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from litestar.testing import TestClient

from orderledger.application.catalogue_import import current_catalogue
from orderledger.application.claiming import WorkClaims
from orderledger.bootstrap import Store
from orderledger.domain.account import Account
from orderledger.domain.ids import account_id, token_holder_id
from orderledger.domain.token_holder import TokenHolder
from orderledger.http.app import create_app
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from orderledger.views.account_statement import account_statement, statement_csv
from tests.conftest import entry, open_account, settle
from tests.http.test_console_sessions import Clock, signed_in

Client = TestClient  # type: ignore[type-arg]
MAIN = re.compile(r"<main>(.*)</main>", re.S)


@pytest.fixture
def console(settings: Settings, store: Store) -> Iterator[Client]:
    with TestClient(create_app(settings)) as client:
        yield client


def staff(client: Client, store: Store, name: str = "alice") -> str:
    return signed_in(client, store.credentials.issue(Role.OPERATOR, name, name))


def account_events(store: Store, name: str = "network") -> list[object]:
    return list(store.ledger.events.get(account_id(name)))


def balance_answer(client: Client, key: str) -> dict[str, str]:
    answer = client.post("/api/v2", data={"key": key, "action": "balance"})
    result: dict[str, str] = answer.json()
    return result


def test_a_deposit_in_the_console_is_recorded_in_the_operators_name(
    console: Client, store: Store
) -> None:
    open_account(store, deposit="100")
    csrf = staff(console, store)
    answer = console.post(
        "/console/accounts/network/deposit",
        data={"amount": "25.5", "note": "wire 4411", "csrf": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = console.get(answer.headers["location"])
    assert 'id="balance">125.50000 USD' in page.text
    assert "wire 4411" in page.text
    deposit = account_events(store)[-1]
    assert isinstance(deposit, Account.DepositedWithNote)
    assert (deposit.amount, deposit.note, deposit.by) == (Decimal("25.5"), "wire 4411", "alice")


def test_an_adjustment_needs_a_note_and_a_refused_one_records_nothing(
    console: Client, store: Store
) -> None:
    open_account(store, deposit="100")
    csrf = staff(console, store)
    before = len(account_events(store))
    refused = console.post(
        "/console/accounts/network/adjust", data={"amount": "-5", "note": "", "csrf": csrf}
    )
    assert refused.status_code == 422
    assert "needs a note" in refused.text
    assert len(account_events(store)) == before
    done = console.post(
        "/console/accounts/network/adjust",
        data={"amount": "-5", "note": "over-credit", "csrf": csrf},
    )
    assert done.status_code == 200  # the account's page, after the redirect
    adjusted = account_events(store)[-1]
    assert isinstance(adjusted, Account.Adjusted)
    assert (adjusted.amount, adjusted.by) == (Decimal("-5"), "alice")
    assert 'id="balance">95.00000 USD' in done.text


def test_the_statement_downloads_as_the_command_lines_csv(console: Client, store: Store) -> None:
    open_account(store, deposit="100")
    store.ledger.adjust("network", Decimal("2"), "goodwill")
    staff(console, store)
    answer = console.get("/console/accounts/network/statement.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.text == statement_csv(account_statement(store.ledger, "network"))
    lines = answer.text.splitlines()
    assert lines[0] == "time,version,entry,order,amount,balance,note"
    assert lines[-1] == ",,closing balance,,,102.00000,"


def test_a_new_api_key_is_shown_once_works_and_is_never_logged(
    console: Client, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    _, old_key = open_account(store, deposit="100")
    csrf = staff(console, store)
    with caplog.at_level(logging.DEBUG):
        answer = console.post("/console/accounts/network/new-key", data={"csrf": csrf})
    assert answer.status_code == 200
    found = re.search(r'<pre class="answer" id="key">([0-9a-f]{32})</pre>', answer.text)
    assert found
    key = found.group(1)
    assert balance_answer(console, key) == {"balance": "100.00000", "currency": "USD"}
    assert "error" in balance_answer(console, old_key)
    assert key not in console.get("/console/accounts/network").text
    assert key not in caplog.text
    issued = account_events(store)[-1]
    assert isinstance(issued, Account.ApiKeyIssued)
    assert (issued.revoked, issued.by) == (1, "alice")
    assert key not in json.dumps(issued.__dict__, default=str)


def test_the_accounts_list_pages_by_name(console: Client, store: Store) -> None:
    for name in ("carol", "bob", "dave"):
        open_account(store, name=name, deposit="1")
    settle(store)
    staff(console, store)
    first = console.get("/console/accounts", params={"after": "bob"})
    assert [n for n in ("bob", "carol", "dave") if f">{n}</a>" in first.text] == ["carol", "dave"]
    assert "1.00000 USD" in first.text


def catalogue_file(*numbers: int, **names: str) -> bytes:
    return json.dumps(
        [
            {
                "service": n,
                "name": names.get(f"s{n}", f"Service {n}"),
                "type": "Default",
                "category": "Tests",
                "rate": "2.50",
                "min": 10,
                "max": 10000,
            }
            for n in numbers
        ]
    ).encode()


def preview(client: Client, csrf: str, data: bytes) -> tuple[str, dict[str, str]]:
    answer = client.post(
        "/console/services/import",
        data={"csrf": csrf},
        files={"file": ("catalogue.json", data, "application/json")},
    )
    assert answer.status_code == 200, answer.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', answer.text))
    return answer.text, fields


def test_an_import_is_previewed_then_applied_exactly(console: Client, store: Store) -> None:
    store.ledger.sync_services([entry(1), entry(2)])
    csrf = staff(console, store)
    shown, form = preview(console, csrf, catalogue_file(1, 2, 3, s2="Likes"))
    assert "Would add 1, change 1, enable 0," in shown
    assert "2  Likes  (name)" in shown
    assert sorted(current_catalogue(store.ledger)) == [1, 2]  # nothing recorded yet
    applied = console.post("/console/services/import/apply", data=form)
    assert applied.status_code == 200
    assert "2 change(s) recorded" in applied.text
    catalogue = current_catalogue(store.ledger)
    assert sorted(catalogue) == [1, 2, 3]
    assert catalogue[2].name == "Likes"


def test_an_import_the_catalogue_moved_under_is_refused_with_a_new_preview(
    console: Client, store: Store
) -> None:
    store.ledger.sync_services([entry(1)])
    csrf = staff(console, store)
    _, form = preview(console, csrf, catalogue_file(1, 2))
    store.ledger.sync_services([entry(2, name="Added meanwhile")])
    refused = console.post("/console/services/import/apply", data=form)
    assert refused.status_code == 409
    assert "changed since the preview" in refused.text
    assert current_catalogue(store.ledger)[2].name == "Added meanwhile"


def test_a_previewed_file_changed_on_its_way_back_is_refused(console: Client, store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    csrf = staff(console, store)
    _, form = preview(console, csrf, catalogue_file(1, 2))
    form["catalogue"] = base64.b64encode(catalogue_file(1, 2, 3)).decode()
    refused = console.post("/console/services/import/apply", data=form)
    assert refused.status_code == 409
    assert sorted(current_catalogue(store.ledger)) == [1]


def test_an_import_disabling_most_of_the_catalogue_asks_first(
    console: Client, store: Store
) -> None:
    store.ledger.sync_services([entry(1), entry(2), entry(3)])
    csrf = staff(console, store)
    shown, form = preview(console, csrf, catalogue_file(1))
    assert "disable most of the catalogue" in shown
    refused = console.post("/console/services/import/apply", data=form)
    assert refused.status_code == 422
    assert all(s.enabled for s in current_catalogue(store.ledger).values())
    applied = console.post("/console/services/import/apply", data={**form, "yes": "yes"})
    assert applied.status_code == 200
    assert [n for n, s in current_catalogue(store.ledger).items() if s.enabled] == [1]


def test_the_catalogue_is_searched_by_name_category_or_number(
    console: Client, store: Store
) -> None:
    store.ledger.sync_services(
        [entry(1, name="Instagram likes"), entry(2, category="Video"), entry(13)]
    )
    settle(store)
    staff(console, store)

    def found(q: str) -> list[int]:
        text = console.get("/console/services", params={"q": q}).text
        return [int(n) for n in re.findall(r"\?service=(\d+)", text)]

    assert found("LIKES") == [1]
    assert found("video") == [2]
    assert found("13") == [13]
    assert found("") == [1, 2, 13]


def test_revoking_a_bot_records_who_and_ends_its_sessions(
    console: Client, settings: Settings, store: Store
) -> None:
    csrf = staff(console, store)
    bot_token = store.credentials.issue(Role.OPERATOR, "bot-7", "bot-7")
    with TestClient(create_app(settings)) as bot:
        signed_in(bot, bot_token)
        page = console.get("/console/fulfilment")
        assert 'data-bot="bot-7"' in page.text
        answer = console.post("/console/fulfilment/bot-7/revoke", data={"csrf": csrf})
        assert answer.status_code == 200
        assert "Revoked 1 token(s) of bot-7" in answer.text
        assert 'data-bot="bot-7"' not in answer.text
        assert bot.get("/console/", follow_redirects=False).status_code == 303
    holder = store.ledger.load(TokenHolder, token_holder_id("operator", "bot-7"))
    assert holder is not None and holder.revoked == 1
    revoked = list(store.ledger.events.get(holder.id))[-1]
    assert isinstance(revoked, TokenHolder.Revoked) and revoked.by == "alice"


def test_the_projections_page_shows_positions_and_verify_says_ok(
    console: Client, store: Store
) -> None:
    open_account(store, deposit="10")
    settle(store)
    staff(console, store)
    page = console.get("/console/projections")
    assert page.status_code == 200
    assert 'data-projection="account_balance"' in page.text
    assert "running" in page.text
    verified = console.get("/console/projections/verify")
    assert verified.status_code == 200
    assert 'id="verdict">OK: the read models match' in verified.text
    assert re.search(r'class="step">verified \d+ of \d+ events \(100%\)', verified.text)


def test_an_auditor_sees_no_form_and_every_action_is_refused(console: Client, store: Store) -> None:
    open_account(store, deposit="100")
    store.ledger.sync_services([entry(1)])
    store.credentials.issue(Role.OPERATOR, "bot-7", "bot-7")
    settle(store)
    csrf = signed_in(console, store.credentials.issue(Role.AUDITOR, "audrey", "audrey"))
    for path in (
        "/console/accounts",
        "/console/accounts/network",
        "/console/services",
        "/console/fulfilment",
        "/console/projections",
    ):
        page = console.get(path)
        assert page.status_code == 200, path
        main = MAIN.search(page.text)
        assert main and 'method="post"' not in main.group(1), path
    before = len(account_events(store))
    for path, data in (
        ("/console/accounts/network/deposit", {"amount": "5"}),
        ("/console/accounts/network/adjust", {"amount": "5", "note": "x"}),
        ("/console/accounts/network/new-key", {}),
        ("/console/fulfilment/bot-7/revoke", {}),
        ("/console/services/import/apply", {"catalogue": "", "seal": ""}),
    ):
        assert console.post(path, data={**data, "csrf": csrf}).status_code == 403, path
    assert len(account_events(store)) == before
    assert store.credentials.holders(Role.OPERATOR)[0].name == "bot-7"


def test_an_account_or_bot_named_with_a_slash_has_its_pages_and_actions(
    console: Client, store: Store
) -> None:
    open_account(store, name="eu/panel 2", deposit="5")
    store.credentials.issue(Role.OPERATOR, "bots/one", "bots/one")
    csrf = staff(console, store)
    path = "/console/accounts/eu%2Fpanel%202"
    assert 'id="balance">5.00000 USD' in console.get(path).text
    done = console.post(f"{path}/deposit", data={"amount": "1", "csrf": csrf})
    assert 'id="balance">6.00000 USD' in done.text
    assert console.get(f"{path}/statement.csv").text.endswith(",,closing balance,,,6.00000,\n")
    assert console.post(f"{path}/refund", data={"csrf": csrf}).status_code == 404
    revoked = console.post("/console/fulfilment/bots%2Fone/revoke", data={"csrf": csrf})
    assert "Revoked 1 token(s) of bots/one" in revoked.text
    assert store.credentials.holders(Role.OPERATOR)[0].name == "alice"


def test_the_fulfilment_page_shows_each_bots_claims_and_those_that_ran_out(
    settings: Settings, store: Store
) -> None:
    clock = Clock()
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    numbers = [
        store.ledger.place_order(
            account.id, 1, {"link": f"https://example.com/{n}", "quantity": 100}
        ).number
        for n in range(2)
    ]
    settle(store)
    claims = WorkClaims(store.ledger, store.db)
    start = clock.now
    store.credentials.issue(Role.OPERATOR, "bot-1", "bot-1")
    claims.claim_orders("bot-1", 1, lease=timedelta(minutes=5), now=clock.now)
    claims.claim_orders("bot-1", 1, lease=timedelta(minutes=30), now=clock.now)
    settle(store)
    clock.now += timedelta(minutes=10)
    # No projector, so no sweep: the claim that ran out is still in the queue, as between
    # its expiry and the sweep's next round.
    with TestClient(create_app(settings, projector=False, clock=clock)) as console:
        staff(console, store)
        page = console.get("/console/fulfilment").text
    bot = re.search(r'<tr data-bot="bot-1">(.*?)</tr>', page, re.S)
    assert bot and re.findall(r'<td class="num[^"]*">(\d+)</td>', bot.group(1)) == ["1", "1", "1"]
    expired = re.search(r'<table class="grid" id="expired">(.*?)</table>', page, re.S)
    assert expired and f'<td class="num">{numbers[0]}</td>' in expired.group(1)
    assert f"/console/orders/{numbers[1]}" in page
    ran_out = start + timedelta(minutes=5)
    assert f"expired {ran_out:%Y-%m-%d %H:%M:%S} UTC" in page
