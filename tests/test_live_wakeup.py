"""The live projector is woken by the event store's own notification, not by its poll."""

from __future__ import annotations

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
