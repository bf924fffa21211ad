"""A crash between a command and its projection loses nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from orderledger.bootstrap import Store
from orderledger.projections.base import fold
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.tables import Target, load_rows
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, settle
from tests.integration.servers import environment

# Places orders and then dies without warning, before any projector has run.
CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys, uuid
    from orderledger.bootstrap import Store
    store = Store.open()
    for i in range(25):
        store.ledger.place_order(uuid.UUID(sys.argv[1]), 1, {"link": f"l{i}", "quantity": "100"})
        if i == 9:
            store.ledger.complete_order(1)
    os.kill(os.getpid(), 9)
    """
)


def all_events(store: Store) -> list[object]:
    notifications = store.ledger.recorder.select_notifications(start=None, limit=1_000_000)
    return [store.ledger.mapper.to_domain_event(n) for n in notifications]


@pytest.mark.slow
def test_projections_catch_up_to_exactly_the_events_after_a_crash(
    settings: Settings, store: Store
) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, str(account.id)],
        env=environment(settings),
        capture_output=True,
        check=False,
    )
    assert crashed.returncode == -9, crashed.stderr.decode()

    restarted = Store.open(settings)
    try:
        settle(restarted)
        events = all_events(restarted)
        for projection in PROJECTIONS:
            expected = fold(projection, events)
            with restarted.db.transaction() as cursor:
                cursor.execute(f"SELECT id FROM {projection.table}")
                ids = [row[0] for row in cursor.fetchall()]
                actual = load_rows(cursor, Target.live(projection), ids)
            assert actual == expected, projection.name
        order_rows = fold(PROJECTIONS[0], events)
        assert len(order_rows) == 25
    finally:
        restarted.close()
