"""An account past its snapshot interval behaves after a restart as it did before."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.domain.account import Billing
from orderledger.domain.ids import account_id
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, use_settings

ORDERS = 230  # past the Account's snapshot at its 200th event


@pytest.fixture
def long_lived(settings: Settings) -> Iterator[Settings]:
    """A postpaid account (showing 10) that placed 230 orders, and the store closed."""
    store = Store.open(settings)
    try:
        store.ledger.sync_services([entry(1)])
        account, _ = open_account(store, billing=Billing.POSTPAID, credit="10")
        for i in range(ORDERS):
            store.ledger.place_order(account.id, 1, {"link": f"https://x/{i}", "quantity": "100"})
        assert store.ledger.snapshots is not None
        assert list(store.ledger.snapshots.get(account.id)), "the account was never snapshotted"
    finally:
        store.close()
    yield settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_postpaid_account_still_orders_after_a_restart(long_lived: Settings) -> None:
    store = Store.open(long_lived)
    try:
        account = account_id("network")
        order = store.ledger.place_order(account, 1, {"link": "https://x/new", "quantity": "100"})
        assert order.charge == Decimal("0.25000")
        assert store.ledger.account("network").owed == Decimal("0.25000") * (ORDERS + 1)
    finally:
        store.close()


def test_accounts_show_and_deposit_work_after_a_restart_and_record_the_deposit_once(
    long_lived: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_settings(monkeypatch, long_lived)
    status, out, err = run(capsys, "accounts", "show", "network")
    assert (status, err) == (0, "")
    assert "billing   postpaid" in out and "owed      57.50000" in out

    status, out, err = run(capsys, "accounts", "deposit", "network", "20")
    assert (status, err) == (0, "")
    assert "deposits  20.00000" in out and "owed      37.50000" in out

    store = Store.open(long_lived)
    try:
        events = list(store.ledger.events.get(account_id("network")))
        deposits = [e for e in events if type(e).__qualname__ == "Account.Deposited"]
        assert [vars(e)["amount"] for e in deposits] == [Decimal("20.00000")]
        assert store.ledger.account("network").deposits == Decimal("20.00000")
    finally:
        store.close()
