"""`orders list`, `orders show`, `refills list`, `accounts list`: operators see the ledger
without taking anything from it, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.domain.claims import STAFF
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, use_settings
from tests.fulfilment.support import caught_up


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    use_settings(monkeypatch, settings)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def listed(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    status, out, err = run(capsys, *argv, "--json")
    assert status == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def place(store: Store, account: UUID, link: str, service: int = 1) -> int:
    return store.ledger.place_order(account, service, {"link": link, "quantity": 1000}).number


def numbers(document: dict[str, Any]) -> list[int]:
    return [order["order"] for order in document["orders"]]


def event_count(store: Store) -> int:
    return int(store.ledger.recorder.max_notification_id() or 0)


def test_listing_waiting_orders_claims_nothing_and_they_stay_pending(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    placed = [place(store, account.id, f"https://x/{i}") for i in range(3)]
    caught_up(store)
    before = event_count(store)

    document = listed(capsys, "orders", "list", "--status", "pending")
    assert numbers(document) == placed[::-1]  # newest first
    assert {order["status"] for order in document["orders"]} == {"Pending"}
    first = document["orders"][-1]
    assert first == {
        "order": placed[0],
        "account": "network",
        "service": 1,
        "status": "Pending",
        "link": "https://x/0",
        "charge": "2.50000",
        "quantity": 1000,
        "remains": 1000,
        "start_count": 0,
        "currency": "USD",
        "placed_at": first["placed_at"],
    }
    assert document["next_before"] is None
    assert event_count(store) == before  # nothing recorded: no claim
    assert all(store.ledger.order(n).status.value == "Pending" for n in placed)
    status, out, _ = run(capsys, "orders", "list")
    assert status == 0 and "3 order(s)" in out and "https://x/2" in out


def test_each_filter_narrows_the_list(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store.ledger.sync_services([entry(1), entry(2)])
    ann, _ = open_account(store, "ann")
    bob, _ = open_account(store, "bob")
    a1 = place(store, ann.id, "https://x/a1")
    a2 = place(store, ann.id, "https://x/a2", service=2)
    b1 = place(store, bob.id, "https://x/b1")
    store.ledger.complete_order(a1, by=STAFF)
    caught_up(store)

    assert numbers(listed(capsys, "orders", "list", "--account", "ann")) == [a2, a1]
    assert numbers(listed(capsys, "orders", "list", "--service", "2")) == [a2]
    assert numbers(listed(capsys, "orders", "list", "--link", "https://x/b1")) == [b1]
    assert numbers(listed(capsys, "orders", "list", "--link", "https://x/b")) == []
    assert numbers(listed(capsys, "orders", "list", "--status", "Completed")) == [a1]
    both = listed(capsys, "orders", "list", "--status", "completed", "--status", "PENDING")
    assert numbers(both) == [b1, a2, a1]
    pending_ann = listed(capsys, "orders", "list", "--status", "Pending", "--account", "ann")
    assert numbers(pending_ann) == [a2]
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert numbers(listed(capsys, "orders", "list", "--since", past)) == [b1, a2, a1]
    assert numbers(listed(capsys, "orders", "list", "--since", future)) == []
    assert numbers(listed(capsys, "orders", "list", "--until", future)) == [b1, a2, a1]
    assert numbers(listed(capsys, "orders", "list", "--until", past)) == []

    status, _, err = run(capsys, "orders", "list", "--account", "nobody")
    assert status == 1 and "no account 'nobody'" in err


def test_a_bad_since_or_status_is_refused_with_a_clear_line(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["orders", "list", "--since", "yesterday"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--since: not an ISO 8601 timestamp: 'yesterday'" in err and "2026-12-01" in err
    with pytest.raises(SystemExit):
        main(["orders", "list", "--status", "Waiting"])
    assert "no status 'Waiting': one of Pending, Processing" in capsys.readouterr().err


def test_pages_follow_each_other_newest_first_without_gaps_or_repeats(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    placed = [place(store, account.id, f"https://x/{i}") for i in range(7)]
    caught_up(store)
    seen: list[int] = []
    cursor: list[str] = []
    for _ in range(4):
        page = listed(capsys, "orders", "list", "--limit", "3", *cursor)
        seen += numbers(page)
        if page["next_before"] is None:
            break
        cursor = ["--before", str(page["next_before"])]
    assert seen == placed[::-1]

    status, out, _ = run(capsys, "orders", "list", "--limit", "3", "--status", "Pending")
    assert status == 0
    assert (
        f"next page: orderledger orders list --status Pending --limit 3 --before {placed[4]}" in out
    )


def test_orders_show_gives_the_state_and_the_whole_history(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    number = place(store, account.id, "https://x/1")
    store.ledger.start_order(number, 40, by=STAFF)
    caught_up(store)

    document = listed(capsys, "orders", "show", str(number))
    assert document["order"]["status"] == "In progress"
    assert document["order"]["link"] == "https://x/1"
    assert [e["event"] for e in document["history"]] == ["Order.Placed", "Order.Started"]
    assert document["history"][-1]["state"]["start_count"] == 40
    status, out, _ = run(capsys, "orders", "show", str(number))
    assert status == 0 and "In progress" in out and "Order.Started" in out and "staff" in out
    status, _, err = run(capsys, "orders", "show", "999")
    assert status == 1 and "no order 999" in err


def test_refills_list_by_status_and_account(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store.ledger.sync_services([entry(1, refill=True)])
    ann, _ = open_account(store, "ann")
    bob, _ = open_account(store, "bob")
    orders = [place(store, ann.id, "https://x/a"), place(store, bob.id, "https://x/b")]
    for order in orders:
        store.ledger.complete_order(order, by=STAFF)
    first = store.ledger.request_refill(ann.id, orders[0]).number
    second = store.ledger.request_refill(bob.id, orders[1]).number
    store.ledger.start_refill(second, by=STAFF)
    caught_up(store)

    everything = listed(capsys, "refills", "list")
    assert [r["refill"] for r in everything["refills"]] == [second, first]
    assert everything["refills"][1] == {
        "refill": first,
        "order": orders[0],
        "account": "ann",
        "status": "Pending",
    }
    started = listed(capsys, "refills", "list", "--status", "in progress")
    assert [r["refill"] for r in started["refills"]] == [second]
    assert [r["refill"] for r in listed(capsys, "refills", "list", "--account", "ann")["refills"]]
    assert listed(capsys, "refills", "list", "--account", "ann", "--status", "In progress") == {
        "refills": [],
        "next_before": None,
    }


def test_accounts_list_shows_every_account_with_amounts_as_strings(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    open_account(store, "bob", deposit="12.5")
    open_account(store, "ann", deposit="3")
    caught_up(store)
    document = listed(capsys, "accounts", "list")
    assert [a["account"] for a in document["accounts"]] == ["ann", "bob"]
    assert document["accounts"][1] == {
        "account": "bob",
        "currency": "USD",
        "billing": "prepaid",
        "balance": "12.50000",
        "credit": "0.00000",
        "deposits": "12.50000",
        "charges": "0.00000",
        "refunds": "0.00000",
        "adjustments": "0.00000",
    }
    status, out, _ = run(capsys, "accounts", "list")
    assert status == 0 and "12.50000 USD" in out and "2 account(s)" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["orders", "list"],
        ["orders", "show"],
        ["refills", "list"],
        ["accounts", "list"],
        ["accounts", "deposit"],
        ["accounts", "adjust"],
        ["operators", "list"],
        ["operators", "revoke"],
        ["auditors", "list"],
        ["auditors", "revoke"],
    ],
)
def test_every_new_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    assert "usage: orderledger " + " ".join(argv) in capsys.readouterr().out
