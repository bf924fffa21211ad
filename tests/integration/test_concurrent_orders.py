"""Orders placed at once from several processes never overspend a prepaid account."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from orderledger.bootstrap import Store
from orderledger.domain.errors import NotEnoughFunds
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, settle
from tests.integration.servers import running_server

AFFORDABLE = 12  # orders of 0.25 each that the account can pay for


def place_many(settings: Settings, account_id: str, attempts: int, offset: int) -> tuple[int, int]:
    import uuid

    store = Store.open(settings)
    placed = refused = 0
    try:
        for i in range(attempts):
            try:
                store.ledger.place_order(
                    uuid.UUID(account_id), 1, {"link": f"https://x/{offset}/{i}", "quantity": "100"}
                )
                placed += 1
            except NotEnoughFunds:
                refused += 1
    finally:
        store.close()
    return placed, refused


@pytest.mark.slow
def test_processes_placing_at_once_spend_exactly_the_balance(
    settings: Settings, store: Store
) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store, deposit=str(Decimal("0.25") * AFFORDABLE))
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        results = pool.starmap(
            place_many, [(settings, str(account.id), 10, offset) for offset in range(3)]
        )
    assert sum(placed for placed, _ in results) == AFFORDABLE
    assert sum(refused for _, refused in results) == 30 - AFFORDABLE
    final = store.ledger.account(account.id)
    assert final.balance == Decimal("0.00000")
    assert final.charges == Decimal("0.25") * AFFORDABLE


@pytest.mark.slow
def test_a_two_worker_server_never_overspends(settings: Settings, store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    _, key = open_account(store, deposit=str(Decimal("0.25") * AFFORDABLE))
    with running_server(settings, workers=2) as url:

        def add(i: int) -> dict[str, object]:
            data = {"key": key, "action": "add", "service": "1", "link": f"l{i}", "quantity": "100"}
            answer: dict[str, object] = httpx.post(url, data=data, timeout=30).json()
            return answer

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(add, range(40)))
        placed = [a["order"] for a in answers if "order" in a]
        refused = [a for a in answers if a == {"error": "Not enough funds on balance"}]
        assert len(placed) == AFFORDABLE and len(refused) == 40 - AFFORDABLE
        statuses = httpx.post(
            url, data={"key": key, "action": "status", "orders": ",".join(map(str, placed))}
        ).json()
        assert all(s["status"] == "Pending" for s in statuses.values())
        settle(store)
        assert (
            httpx.post(url, data={"key": key, "action": "balance"}).json()["balance"] == "0.00000"
        )
