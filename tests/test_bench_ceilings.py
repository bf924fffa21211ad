"""The benchmark's ceilings measure what they say, on the real PostgreSQL, and leave nothing."""

from __future__ import annotations

import psycopg
import pytest

from orderledger.application.batch_placing import PlaceOrder
from orderledger.bench import commit_ceiling, notify_ceiling, scan_ceiling, scratch_events
from orderledger.bootstrap import Store
from orderledger.storage.settings import PostgresAddress
from tests.conftest import entry, open_account


def scratch_rows(conninfo: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(f"SELECT count(*) FROM {scratch_events.TABLE}").fetchone()
    assert row is not None
    return int(str(row[0]))


def scratch_exists(conninfo: str) -> bool:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (scratch_events.TABLE,))
        found = row.fetchone()
    return bool(found and found[0])


def test_the_commit_ceiling_counts_committed_writes_and_drops_its_table(
    postgres_address: PostgresAddress,
) -> None:
    conninfo = postgres_address.conninfo()
    with scratch_events.scratch_table(conninfo):
        per_s = commit_ceiling.commits_per_s(conninfo, connections=3, warmup=0.05, duration=0.3)
        assert per_s > 0
        # every write counted is a row committed (warm-up writes are rows too, uncounted)
        assert scratch_rows(conninfo) >= per_s * 0.3
    assert not scratch_exists(conninfo)


def test_a_write_notifies_a_listener_once_committed(postgres_address: PostgresAddress) -> None:
    conninfo = postgres_address.conninfo()
    with scratch_events.scratch_table(conninfo):
        times = notify_ceiling.round_trips_ms(conninfo, samples=5)
        assert len(times) == 5
        assert all(t > 0 for t in times)
        assert scratch_rows(conninfo) == 5


def test_a_failed_writer_fails_the_commit_ceiling(postgres_address: PostgresAddress) -> None:
    # no scratch table: every write fails, and the figure with it
    with pytest.raises(RuntimeError, match="writers failed"):
        commit_ceiling.commits_per_s(postgres_address.conninfo(), 2, 0.01, 0.1)


def test_the_scan_reads_and_decodes_every_event_of_the_log(store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    commands = [
        PlaceOrder(1, {"link": f"https://x.example/{i}", "quantity": "100"}) for i in range(7)
    ]
    store.ledger.place_orders(account.id, commands)
    events = len(store.ledger.recorder.select_notifications(start=0, limit=10_000))
    assert events > 7
    assert scan_ceiling.scan(store) == events
    assert scan_ceiling.scan(store, page_size=2) == events  # every page, not the first
    assert scan_ceiling.events_per_s(store) > 0
