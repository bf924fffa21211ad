"""The store the benchmark measures: the real catalogue, one funded account, many orders.

Orders are placed through the ledger itself (`place_orders`, the same decisions as `add`),
hundreds per transaction, so a large store fills in a minute rather than an hour.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg

from orderledger.application.batch_placing import PlaceOrder
from orderledger.bootstrap import Store
from orderledger.domain.account import Billing
from orderledger.domain.catalogue import CatalogueEntry, read_catalogue
from orderledger.domain.errors import LedgerError
from orderledger.projections.registry import PROJECTIONS
from orderledger.storage.credentials import Role

CATALOGUE_FILE = "large-provider-services-2025-02.json"
ACCOUNT = "bench-network"
FUNDS = Decimal("1000000000")
SERVICES_USED = 20
PRELOAD_BATCH = 500
IMPORT_BATCH = 250


def default_catalogue() -> Path:
    """The real catalogue, a copy of `../shared/fixtures/catalogs/` kept in the repository so
    that a clone anywhere can run the tests and the benchmark."""
    repo = Path(__file__).resolve().parents[2]
    return repo / "fixtures" / "catalogs" / CATALOGUE_FILE


@dataclass(frozen=True)
class Fixture:
    account_id: str
    key: str
    services: list[tuple[int, int]]  # (service number, a quantity within its limits)

    def add_fields(self, index: int, link: str) -> tuple[int, dict[str, str]]:
        number, quantity = self.services[index % len(self.services)]
        return number, {"link": link, "quantity": str(quantity)}


def plain_services(entries: list[CatalogueEntry]) -> list[tuple[int, int]]:
    """Services of the common `Default` type, without drip-feed, and a quantity for each."""
    chosen = []
    for entry in sorted(entries, key=lambda e: e.number):
        quantity = max(entry.min, 100)
        if entry.type == "Default" and not entry.dripfeed and quantity <= entry.max:
            chosen.append((entry.number, quantity))
    return chosen[:SERVICES_USED]


def prepare(store: Store, catalogue: Path) -> Fixture:
    entries = read_catalogue(catalogue)
    for start in range(0, len(entries), IMPORT_BATCH):
        store.ledger.sync_services(entries[start : start + IMPORT_BATCH])
    account = store.ledger.open_account(ACCOUNT, "USD", Billing.PREPAID)
    store.ledger.deposit(ACCOUNT, FUNDS)
    key = store.credentials.issue(Role.API, str(account.id), ACCOUNT)
    services = plain_services(entries)
    if not services:
        raise ValueError(f"{catalogue} has no plain Default service to order")
    return Fixture(str(account.id), key, services)


def preload_link(index: int) -> str:
    return f"https://bench.example/preload/{index}"


def preload(
    store: Store,
    fixture: Fixture,
    first: int,
    count: int,
    progress: Callable[[int], None] = lambda _: None,
) -> list[int]:
    """Place orders `first`..`first + count - 1`; return their numbers."""
    numbers: list[int] = []
    account = store.ledger.account(ACCOUNT).id
    for start in range(first, first + count, PRELOAD_BATCH):
        commands = [
            PlaceOrder(*fixture.add_fields(i, preload_link(i)))
            for i in range(start, min(start + PRELOAD_BATCH, first + count))
        ]
        for outcome in store.ledger.place_orders(account, commands):
            if isinstance(outcome, LedgerError):
                raise outcome
            numbers.append(outcome.number)
        progress(len(commands))
    return numbers


def projected(store: Store) -> bool:
    head = int(store.ledger.recorder.max_notification_id() or 0)
    with store.db.transaction() as cursor:
        cursor.execute(
            "SELECT min(position) FROM orderledger_tracking WHERE projection = ANY(%s)",
            ([p.name for p in PROJECTIONS],),
        )
        row = cursor.fetchone()
    return row is not None and row[0] is not None and int(row[0]) >= head


def vacuum(conninfo: str) -> None:
    """VACUUM ANALYZE the whole database (it cannot run inside a transaction)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def checkpoint(conninfo: str) -> None:
    """A CHECKPOINT: every page the loads left dirty written out now, not during a
    measurement (it needs a superuser or pg_checkpoint, as the benchmark's databases have)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def wait_until_projected(
    store: Store, alive: Callable[[], bool] = lambda: True, timeout: float = 600.0
) -> None:
    """The server's live projector has folded every event recorded so far."""
    deadline = time.monotonic() + timeout
    while not projected(store):
        if not alive():
            raise RuntimeError("the server stopped while its projector was catching up")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the projector did not catch up within {timeout:.0f} s")
        time.sleep(0.1)
