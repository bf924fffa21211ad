"""`add`s that arrive together are committed together, and each is still answered truly."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import anyio
from litestar.testing import TestClient

from orderledger.application.group_commit import AddBatcher
from orderledger.bootstrap import Store
from tests.conftest import entry, open_account


def test_concurrent_adds_never_overspend_and_each_is_readable_at_once(
    store: Store,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    store.ledger.sync_services([entry(1)])  # 2.50 per 1000: 0.25 per order of 100
    _, key = open_account(store, deposit="2.5")  # enough for exactly 10 orders

    def add(i: int) -> Any:
        form = {"key": key, "action": "add", "service": "1", "link": f"l{i}", "quantity": "100"}
        return client.post("/api/v2", data=form).json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(add, range(20)))

    placed = [a["order"] for a in answers if "order" in a]
    refused = [a for a in answers if "order" not in a]
    assert len(placed) == 10 and len(set(placed)) == 10
    assert refused == [{"error": "Not enough funds on balance"}] * 10
    assert store.ledger.account("network").balance == Decimal("0")
    for number in placed:
        status = client.post("/api/v2", data={"key": key, "action": "status", "order": number})
        assert status.json()["status"] == "Pending"


def test_a_refused_add_in_a_crowd_gets_its_own_error(
    store: Store,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    store.ledger.sync_services([entry(1)])
    _, key = open_account(store)

    def add(fields: dict[str, str]) -> Any:
        form = {"key": key, "action": "add", "service": "1", **fields}
        return client.post("/api/v2", data=form).json()

    requests = [{"link": "same", "quantity": "100"}, {"link": "x", "quantity": "5"}] + [
        {"link": f"l{i}", "quantity": "100"} for i in range(8)
    ]
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(add, requests))
    assert "order" in answers[0]
    assert answers[1] == {"error": "Quantity less than minimal 10"}
    assert all("order" in a for a in answers[2:])


def test_a_failing_batch_size_hook_never_stops_the_adds(store: Store) -> None:
    """The metrics' hook is bookkeeping: when it raises, the batch is still committed and
    answered, and the batches after it too (a dead batcher would leave every later `add` of
    the worker waiting for ever)."""
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)

    def broken(_: int) -> None:
        raise RuntimeError("the metrics are gone")

    async def place_three() -> list[int]:
        batcher = AddBatcher(store.ledger, anyio.CapacityLimiter(2))
        batcher.committed = broken
        batcher.start()
        try:
            numbers = []
            for i in range(3):
                fields = {"link": f"hook{i}", "quantity": "100"}
                placed = await asyncio.wait_for(batcher.place(account.id, 1, fields), 30)
                numbers.append(placed.number)
            return numbers
        finally:
            await batcher.stop()

    numbers = asyncio.run(place_three())
    assert len(set(numbers)) == 3
    assert store.ledger.account("network").balance == Decimal("100") - 3 * Decimal("0.25")
