"""Fixtures for the auditors' and operators' tools: the command line pointed at the test store,
and an order that went through every step an auditor may ask about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from orderledger.bootstrap import Store
from orderledger.cli.common import catch_up
from orderledger.cli.main import main
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.tables import Target, select_sql
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, use_settings


@dataclass(frozen=True)
class Cli:
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        """Run `orderledger ARGV`; its exit status, stdout and stderr."""
        self.capsys.readouterr()
        status = main(list(argv))
        out, err = self.capsys.readouterr()
        return status, out, err


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    use_settings(monkeypatch, settings)
    return Cli(capsys)


@dataclass(frozen=True)
class AuditedOrder:
    number: int
    refill: int
    account: str
    key: str


def audited_order(store: Store) -> AuditedOrder:
    """Placed (2.50), started at 120, 400 delivered, cancel asked, stopped partial with 600
    remaining (1.50 back), then refilled."""
    store.ledger.sync_services([entry(1, refill=True, cancel=True)])
    account, key = open_account(store, "network", deposit="10")
    order = store.ledger.place_order(account.id, 1, {"link": "https://x/1", "quantity": "1000"})
    store.ledger.start_order(order.number, 120)
    store.ledger.report_delivery(order.number, 400)
    store.ledger.request_cancel(account.id, order.number)
    store.ledger.stop_partial(order.number, 600)
    refill = store.ledger.request_refill(account.id, order.number)
    store.ledger.complete_refill(refill.number)
    return AuditedOrder(order.number, refill.number, "network", key)


def busy_ledger(store: Store, orders: int = 12) -> AuditedOrder:
    """The audited order plus more orders in every state, on a second account too."""
    audited = audited_order(store)
    store.ledger.sync_services([entry(2, cancel=True)])
    other, _ = open_account(store, "reseller", deposit="50")
    for i in range(orders):
        placed = store.ledger.place_order(
            other.id, 2, {"link": f"https://y/{i}", "quantity": "100"}
        )
        match i % 4:
            case 1:
                store.ledger.start_order(placed.number, i)
            case 2:
                store.ledger.cancel_order(placed.number)
            case 3:
                store.ledger.start_order(placed.number, i)
                store.ledger.complete_order(placed.number)
    return audited


def live_tables(store: Store) -> dict[str, list[Any]]:
    """Every live read-model row, brought up to date first."""
    catch_up(store)
    tables: dict[str, list[Any]] = {}
    with store.db.transaction() as cursor:
        for projection in PROJECTIONS:
            cursor.execute(select_sql(Target.live(projection)) + " ORDER BY id")
            tables[projection.name] = [projection.from_db(v) for v in cursor.fetchall()]
    return tables
