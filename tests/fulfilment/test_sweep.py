"""The server returns silent bots' work to the queue and ends expired subscriptions by itself,
without waiting for the next claim request."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from litestar.testing import TestClient

from orderledger.application import sweep
from orderledger.bootstrap import Store
from orderledger.http.app import create_app
from orderledger.projections.work_queue import REFILL
from orderledger.storage.locks import SWEEP_LOCK, PostgresSessionLock
from orderledger.storage.settings import Settings
from orderledger.views import work_queue as queue
from tests.conftest import entry, open_account
from tests.fulfilment.conftest import DEFAULT, SUBSCRIPTION
from tests.fulfilment.support import Clock, Network, bot


def conninfo(store: Store) -> str:
    assert store.settings.postgres is not None
    return store.settings.postgres.conninfo()


def eventually(check: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.fixture
def quick_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep, "SWEEP_EVERY", 0.1)


@pytest.fixture
def swept(
    settings: Settings, store: Store, clock: Clock, quick_sweeps: None
) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


def test_a_claim_that_runs_out_shows_pending_again_without_a_claim_request(
    swept: TestClient,  # type: ignore[type-arg]
    store: Store,
    clock: Clock,
) -> None:
    store.ledger.sync_services([entry(DEFAULT)])
    _, key = open_account(store)
    net, bot_ = Network(swept, store, key), bot(swept, store)
    number = net.add(DEFAULT, link="https://x/silent", quantity=100)
    bot_.claim(lease_seconds=60)
    clock.advance(seconds=59)
    time.sleep(0.5)  # several sweeps pass: a claim still held stays
    assert net.status(number)["status"] == "Processing"
    clock.advance(seconds=2)
    assert eventually(lambda: net.status(number)["status"] == "Pending")
    order = store.ledger.order(number)
    assert order is not None and order.claimed_by is None


def test_an_expired_subscription_completes_without_a_claim_request(
    swept: TestClient,  # type: ignore[type-arg]
    store: Store,
    clock: Clock,
) -> None:
    store.ledger.sync_services([entry(SUBSCRIPTION, "Subscriptions", min=100, max=100)])
    _, key = open_account(store)
    net = Network(swept, store, key)
    expiry = clock().strftime("%d/%m/%Y")
    number = net.add(SUBSCRIPTION, username="u", min=100, max=100, delay=0, expiry=expiry)
    bot(swept, store).claim()
    clock.advance(days=1)
    assert eventually(lambda: net.status(number)["status"] == "Completed")


def test_an_expired_refill_claim_is_released(
    swept: TestClient,  # type: ignore[type-arg]
    store: Store,
    clock: Clock,
) -> None:
    store.ledger.sync_services([entry(DEFAULT, refill=True)])
    _, key = open_account(store)
    net = Network(swept, store, key)
    first, second = bot(swept, store), bot(swept, store, "bot-2")
    number = net.add(DEFAULT, link="https://x/refill", quantity=100)
    first.claim()
    first.ok(f"orders/{number}/complete")
    refill = int(net.call("refill", order=number)["refill"])
    net.refill_status(refill)  # the queue has seen it
    first.ok("refills/claim", {"lease_seconds": 60})
    clock.advance(seconds=61)

    def released() -> bool:
        held = store.ledger.refill(refill)
        return held.claimed_by is None

    assert eventually(released)
    # The queue knows it is released: the sweep does not go over it again every round.
    assert eventually(lambda: queue.expired_claims(store.db, REFILL, clock()) == [])
    [job] = second.ok("refills/claim", {})["refills"]
    assert job["refill"] == refill and job["claimed_by"] == "bot-2"


def test_one_sweep_leads_at_a_time_beside_the_projector(store: Store) -> None:
    first, second = sweep.leadership(store.db), sweep.leadership(store.db)
    projector = store.leadership()
    try:
        assert projector.acquire()
        assert first.acquire()
        assert not second.acquire()
        first.release()
        assert second.acquire()
    finally:
        for held in (first, second, projector):
            held.release()


def test_a_sweep_whose_lock_connection_died_gives_the_lead_to_another(
    store: Store, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("a PostgreSQL session lock")
    first, second = (
        PostgresSessionLock(conninfo(store), SWEEP_LOCK, "sweep"),
        PostgresSessionLock(conninfo(store), SWEEP_LOCK, "sweep"),
    )
    try:
        assert first.acquire() and not second.acquire()
        assert first.conn is not None
        pid = first.conn.info.backend_pid
        with psycopg.connect(conninfo(store), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

            def ended() -> bool:  # terminating only signals the backend: its lock goes later
                query = "SELECT count(*) FROM pg_stat_activity WHERE pid = %s"
                row = admin.execute(query, (pid,)).fetchone()
                return row is not None and row[0] == 0

            assert eventually(ended)
        assert not first.acquire()  # it notices, instead of sweeping beside a new leader
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()
