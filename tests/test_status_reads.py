"""`status` read in one query per crowd of requests answers exactly as the protocol says."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.cli.common import catch_up
from tests.conftest import entry, open_account


def test_status_answers_known_unknown_and_foreign_orders_alike(
    store: Store,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    store.ledger.sync_services([entry(1)])
    mine, key = open_account(store, "mine")
    theirs, _ = open_account(store, "theirs")
    placed = store.ledger.place_order(mine.id, 1, {"link": "a", "quantity": "100"})
    foreign = store.ledger.place_order(theirs.id, 1, {"link": "a", "quantity": "100"})
    catch_up(store)  # beside the app's own live projector
    late = store.ledger.place_order(
        mine.id, 1, {"link": "b", "quantity": "100"}
    )  # maybe not projected yet

    def status(fields: dict[str, str]) -> Any:
        return client.post("/api/v2", data={"action": "status", **fields}).json()

    requests = [
        {"key": key, "order": str(placed.number)},
        {"key": key, "order": str(late.number)},
        {"key": key, "order": str(foreign.number)},
        {"key": "not-a-key", "order": str(placed.number)},
        {"key": key, "orders": f"{placed.number}, {foreign.number},x,{late.number}"},
        {"key": key, "orders": "x,y"},
    ]
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(status, requests))

    pending = {
        "charge": "0.25000",
        "start_count": "0",
        "status": "Pending",
        "remains": "100",
        "currency": "USD",
    }
    unknown = {"error": "Incorrect order ID"}
    assert answers[0] == pending
    assert answers[1] == pending  # read-your-writes before the projector has run
    assert answers[2] == unknown
    assert answers[3] == {"error": "Invalid API key"}
    assert answers[4] == {
        str(placed.number): pending,
        str(foreign.number): unknown,
        "x": unknown,
        str(late.number): pending,
    }
    assert answers[5] == {"x": unknown, "y": unknown}
