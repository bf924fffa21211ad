"""`accounts deposit --note` and `accounts adjust`: a signed correction is an event of its own,
seen by the balance, the statement, verify, the rebuild and the stored `balance` answer."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import msgspec
import pytest

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.domain.account import Account
from orderledger.domain.errors import NotEnoughFunds
from orderledger.projections.account_balance import ACCOUNT_BALANCE, ANSWER_COLUMN
from orderledger.projections.rebuild import rebuild
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.verify import verify
from orderledger.storage.settings import Settings
from orderledger.views.balance_answer import balance_answer
from orderledger.views.listings import list_accounts
from tests.conftest import entry, open_account, use_settings
from tests.fulfilment.support import caught_up


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    use_settings(monkeypatch, settings)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def statement(capsys: pytest.CaptureFixture[str], name: str) -> list[dict[str, str]]:
    status, out, err = run(capsys, "accounts", "statement", name)
    assert status == 0, err
    return list(csv.DictReader(io.StringIO(out)))


def account_events(store: Store, name: str) -> list[str]:
    return [type(e).__qualname__ for e in store.ledger.events.get(store.ledger.account(name).id)]


def test_a_deposit_keeps_its_note_and_the_statement_shows_it(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    open_account(store, "net", deposit=None)
    assert run(capsys, "accounts", "deposit", "net", "40", "--note", "wire ref 8812")[0] == 0
    assert run(capsys, "accounts", "deposit", "net", "2")[0] == 0
    assert account_events(store, "net") == [
        "Account.Opened",
        "Account.DepositedWithNote",
        "Account.Deposited",  # without a note: recorded as before
    ]
    lines = statement(capsys, "net")
    assert [(r["entry"], r["amount"], r["balance"], r["note"]) for r in lines[1:3]] == [
        ("deposit", "40.00000", "40.00000", "wire ref 8812"),
        ("deposit", "2.00000", "42.00000", ""),
    ]


def test_an_adjustment_is_its_own_event_in_the_balance_and_the_statement(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    open_account(store, "net", deposit="100")
    status, out, err = run(
        capsys, "accounts", "adjust", "net", "-30.5", "--note", "deposit 4410 credited twice"
    )
    assert status == 0, err
    assert "balance   69.50000" in out and "adjusted  -30.50000" in out
    assert run(capsys, "accounts", "adjust", "net", "0.5", "--note", "goodwill")[0] == 0
    assert account_events(store, "net")[-2:] == ["Account.Adjusted", "Account.Adjusted"]
    assert store.ledger.account("net").balance == Decimal("70.00000")

    lines = statement(capsys, "net")
    assert [(r["entry"], r["amount"], r["balance"], r["note"]) for r in lines[2:4]] == [
        ("adjustment", "-30.50000", "69.50000", "deposit 4410 credited twice"),
        ("adjustment", "0.50000", "70.00000", "goodwill"),
    ]
    assert lines[-1]["entry"] == "closing balance" and lines[-1]["balance"] == "70.00000"

    caught_up(store)
    (row,) = list_accounts(store.db)
    assert (row.balance, row.adjustments, row.deposits) == (
        Decimal("70.00000"),
        Decimal("-30.00000"),
        Decimal("100.00000"),
    )
    assert verify(store.ledger, store.db) == []
    _, out, _ = run(capsys, "accounts", "list", "--json")
    assert json.loads(out)["accounts"][0]["adjustments"] == "-30.00000"


def test_a_negative_adjustment_may_take_a_prepaid_balance_below_zero_and_it_answers_so(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store, "net", deposit="10")
    status, out, _ = run(capsys, "accounts", "adjust", "net", "-25", "--note", "over-credit")
    assert status == 0 and "balance   -15.00000" in out
    with pytest.raises(NotEnoughFunds):
        store.ledger.place_order(account.id, 1, {"link": "https://x/1", "quantity": 100})
    caught_up(store)
    (row,) = list_accounts(store.db)
    assert balance_answer(row) == {"balance": "-15.00000", "currency": "USD"}


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("0.000001", "more than five decimal places"),
        ("-1.123456", "more than five decimal places"),
        ("0", "amount must not be zero"),
        ("1e12", "too large"),
        ("ten", "not a decimal amount"),
    ],
)
def test_an_adjustment_the_ledger_cannot_hold_is_refused_not_recorded(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str], amount: str, why: str
) -> None:
    open_account(store, "net", deposit="10")
    before = account_events(store, "net")
    status, _, err = run(capsys, "accounts", "adjust", "net", amount, "--note", "typo")
    assert status == 1 and why in err and err.startswith("error: ")
    assert account_events(store, "net") == before


def test_a_deposit_below_the_ledgers_precision_is_refused(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    open_account(store, "net", deposit=None)
    status, _, err = run(capsys, "accounts", "deposit", "net", "0.000001", "--note", "x")
    assert status == 1 and "more than five decimal places" in err
    assert account_events(store, "net") == ["Account.Opened"]


def test_an_adjustment_needs_a_note(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    open_account(store, "net", deposit="10")
    status, _, err = run(capsys, "accounts", "adjust", "net", "5", "--note", "  ")
    assert status == 1 and "--note must say why" in err
    with pytest.raises(SystemExit):
        main(["accounts", "adjust", "net", "5"])
    assert "--note" in capsys.readouterr().err
    assert account_events(store, "net") == ["Account.Opened", "Account.Deposited"]


def test_adjustments_survive_a_rebuild_and_the_stored_answer_follows_them(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    open_account(store, "net", deposit="5")
    open_account(store, "other", deposit="1")
    store.ledger.adjust("net", Decimal("-7.25"), "chargeback")
    caught_up(store)
    before = list_accounts(store.db)
    assert rebuild(store.ledger, store.db, PROJECTIONS)
    assert list_accounts(store.db) == before
    assert verify(store.ledger, store.db) == []
    if store.backend.name == "postgres":
        rows = store.db.alone(
            f"SELECT name, {ANSWER_COLUMN} FROM {ACCOUNT_BALANCE.table} ORDER BY name"
        )
        stored = {str(name): str(answer) for name, answer in rows}
        assert stored == {
            row.name: msgspec.json.encode(balance_answer(row)).decode() for row in before
        }
        assert stored["net"] == '{"balance":"-2.25000","currency":"USD"}'


def test_verify_finds_an_adjustment_missing_from_the_balance(store: Store, cli_env: None) -> None:
    open_account(store, "net", deposit="5")
    store.ledger.adjust("net", Decimal("2"), "goodwill")
    caught_up(store)
    with store.db.transaction() as cursor:
        cursor.execute(f"UPDATE {ACCOUNT_BALANCE.table} SET adjustments = '0.50000'")
    differences = verify(store.ledger, store.db)
    assert any(
        "adjustments is 0.50000 in the table, 2.00000 from the events" in d for d in differences
    )
    assert any("+ adjustments 0.50000 − charges" in d for d in differences)


def test_an_adjusted_account_round_trips_through_its_snapshot(store: Store) -> None:
    open_account(store, "net", deposit="5")
    store.ledger.adjust("net", Decimal("-1"), "fee")
    account = store.ledger.account("net")
    snapshot = Account.Snapshot.take(account)
    restored = snapshot.mutate(None)
    assert isinstance(restored, Account)
    assert (restored.adjustments, restored.balance) == (Decimal("-1.00000"), Decimal("4.00000"))


def test_the_command_line_records_staff_as_who_deposited_adjusted_or_issued_a_key(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    open_account(store, "net", deposit=None)
    assert run(capsys, "accounts", "deposit", "net", "10")[0] == 0
    assert run(capsys, "accounts", "adjust", "net", "-1", "--note", "fee")[0] == 0
    status, out, _ = run(capsys, "accounts", "new-key", "net")
    assert status == 0
    key = out.splitlines()[-1]
    events = list(store.ledger.events.get(store.ledger.account("net").id))[-3:]
    assert [type(e).__qualname__ for e in events] == [
        "Account.Deposited",
        "Account.Adjusted",
        "Account.ApiKeyIssued",
    ]
    assert {e.by for e in events} == {"staff"}  # type: ignore[attr-defined]
    assert events[-1].revoked == 1  # type: ignore[attr-defined]
    assert key not in repr(events[-1].__dict__)
