"""The live projector is woken by the event store's own notification, not by its poll."""

from __future__ import annotations

import threading
import time

import pytest

from orderledger.bootstrap import Store
from orderledger.storage.leadership import PostgresLeadership
from tests.conftest import entry, open_account


def test_the_leader_hears_of_every_commit(store: Store) -> None:
    if store.settings.postgres is None:
        pytest.skip("SQLite has no notifications: its leader polls")
    leadership = store.leadership()
    assert isinstance(leadership, PostgresLeadership)
    assert leadership.acquire()
    try:
        store.ledger.sync_services([entry(1)])
        open_account(store)
        assert leadership.conn is not None
        heard = list(leadership.conn.notifies(timeout=10, stop_after=1))
        assert heard, "no notification on the channel the leader listens to"
    finally:
        leadership.release()


def test_a_wait_for_events_ends_when_interrupted(store: Store) -> None:
    """Stopping a projector (a worker, a test's app) ends its wait for a NOTIFY at once,
    rather than when the wait runs out: an interrupted wait of a minute ends within seconds."""
    leadership = store.leadership()
    assert leadership.acquire()
    waiting = threading.Thread(target=leadership.wait_for_events, args=(60.0,))
    try:
        waiting.start()
        time.sleep(0.2)  # into its wait
        leadership.interrupt()
        waiting.join(timeout=10)
        assert not waiting.is_alive(), "the wait went on after the interrupt"
    finally:
        waiting.join()
        leadership.release()
