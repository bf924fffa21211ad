"""Rows of aggregates created within a page are written without a read or a conflict check;
the tables must come out the same whatever the page size, and overlapping runners still
roll back instead of colliding on a row."""

from __future__ import annotations

from typing import Any

import pytest

from orderledger.bootstrap import Store
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.runner import ConcurrentProjection, Projector
from orderledger.projections.tables import Target, select_sql
from tests.audit.conftest import busy_ledger, live_tables


def targets(suffix: str) -> list[Target]:
    return [Target(p, p.table + suffix, p.name + ":" + suffix) for p in PROJECTIONS]


def tables(store: Store, suffix: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    with store.db.transaction() as cursor:
        for target in targets(suffix):
            cursor.execute(select_sql(target) + " ORDER BY id")
            found[target.projection.name] = [
                target.projection.from_db(v) for v in cursor.fetchall()
            ]
    return found


def project(store: Store, suffix: str, page_size: int, batch_writes: bool = True) -> None:
    projector = Projector(
        store.ledger, store.db, targets(suffix), page_size=page_size, batch_writes=batch_writes
    )
    projector.ensure()
    projector.catch_up()


def test_a_pages_writes_sent_together_give_the_same_rows_as_sent_one_by_one(
    store: Store,
) -> None:
    busy_ledger(store)
    # Pages large enough for PostgreSQL's COPY, which cannot run among batched writes.
    project(store, "_batched", page_size=100_000, batch_writes=True)
    project(store, "_apart", page_size=100_000, batch_writes=False)
    assert tables(store, "_batched") == tables(store, "_apart") == live_tables(store)


def test_the_whole_log_in_one_page_gives_the_same_rows_as_one_event_per_page(
    store: Store,
) -> None:
    busy_ledger(store)
    project(store, "_one", page_size=1)  # every aggregate is created in an earlier page
    project(store, "_all", page_size=100_000)  # every aggregate is created in this page
    assert tables(store, "_one") == tables(store, "_all") == live_tables(store)


def test_an_aggregate_created_after_the_first_page_still_gets_its_later_events(
    store: Store,
) -> None:
    audited = busy_ledger(store)
    head = store.projector().head()
    project(store, "_split", page_size=head // 2)
    rows = tables(store, "_split")
    assert rows == live_tables(store)
    statuses = {row.number: row.status for row in rows["order_status"]}
    assert statuses[audited.number] == "Partial"


def test_a_runner_behind_another_rolls_back_before_writing_a_row(store: Store) -> None:
    busy_ledger(store)
    first = Projector(store.ledger, store.db, targets("_race"), page_size=100_000)
    first.ensure()
    stale = first.positions()  # what a second runner read before the first committed
    page = store.ledger.recorder.select_notifications(start=0, limit=100_000)
    events = first.decode(page)
    assert first.step() == len(page)
    written = tables(store, "_race")

    target = first.targets[0]
    with pytest.raises(ConcurrentProjection), store.db.transaction() as cursor:
        first.apply_page(cursor, [target], stale, page[-1].id, events)
    assert tables(store, "_race") == written


def test_a_page_for_every_target_rolls_back_whole_when_one_position_moved(store: Store) -> None:
    busy_ledger(store)
    runner = Projector(store.ledger, store.db, targets("_all_or_none"), page_size=100_000)
    runner.ensure()
    positions = runner.positions()
    page = store.ledger.recorder.select_notifications(start=0, limit=100_000)
    events = runner.decode(page)
    moved = runner.targets[-1]  # another runner moved only the last target
    with store.db.transaction() as cursor:
        runner.apply_page(cursor, [moved], positions, page[-1].id, events)
    before = tables(store, "_all_or_none")

    with pytest.raises(ConcurrentProjection), store.db.transaction() as cursor:
        runner.apply_page(cursor, runner.targets, positions, page[-1].id, events)
    assert tables(store, "_all_or_none") == before
    assert runner.positions() == positions | {moved.tracking: page[-1].id}
