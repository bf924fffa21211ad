"""On a real two-worker server, `balance` follows each `add` and `services` is never partial."""

from __future__ import annotations

import threading
from decimal import Decimal

import httpx
import pytest

from orderledger.bootstrap import Store
from orderledger.domain.catalogue import CatalogueEntry
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, settle
from tests.integration.servers import running_server

PAIRS = 150


@pytest.mark.slow
def test_every_balance_after_an_add_shows_its_charge_on_a_two_worker_server(
    settings: Settings, store: Store
) -> None:
    store.ledger.sync_services([entry(1)])
    _, key = open_account(store, deposit="100")
    expected = Decimal("100")
    wrong = []
    form = {"key": key, "action": "add", "service": "1", "quantity": "100"}
    # Two keep-alive connections, as a network's client holds them: each stays with one
    # worker, which the kernel chose (often the one that does not lead the projector).
    with (
        running_server(settings, workers=2) as url,
        httpx.Client() as adds,
        httpx.Client() as reads,
    ):
        for i in range(PAIRS):
            placed = adds.post(url, data={**form, "link": f"https://x/{i}"}, timeout=10).json()
            assert "order" in placed, placed
            expected -= Decimal("0.25")
            shown = reads.post(url, data={"key": key, "action": "balance"}, timeout=10).json()
            if Decimal(shown["balance"]) != expected:
                wrong.append((i, shown["balance"], expected))
    assert wrong == []


def services_count(url: str, key: str) -> int:
    answer = httpx.post(url, data={"key": key, "action": "services"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return len(answer.json())


@pytest.mark.slow
def test_services_after_an_import_and_a_server_start_list_the_whole_catalogue(
    settings: Settings, store: Store, real_catalogue: list[CatalogueEntry]
) -> None:
    _, key = open_account(store)
    store.ledger.sync_services(real_catalogue)
    with running_server(settings, workers=2) as url:
        assert [services_count(url, key) for _ in range(4)] == [5586] * 4


@pytest.mark.slow
def test_services_while_an_import_is_recorded_and_projected_are_never_partial(
    settings: Settings, store: Store, real_catalogue: list[CatalogueEntry]
) -> None:
    _, key = open_account(store)
    settle(store)
    counts: list[int] = []
    with running_server(settings, workers=2) as url:
        imported = threading.Event()

        def import_catalogue() -> None:
            store.ledger.sync_services(real_catalogue)
            imported.set()

        importer = threading.Thread(target=import_catalogue)
        importer.start()
        try:
            while not imported.is_set():
                counts.append(services_count(url, key))
            projector = store.projector()
            while projector.positions()["catalogue"] < projector.head():
                counts.append(services_count(url, key))
            counts.append(services_count(url, key))
        finally:
            importer.join(timeout=60)
    # Before the import committed: none; after: all of them. Never a share.
    assert set(counts) <= {0, 5586}
    assert counts[-1] == 5586
