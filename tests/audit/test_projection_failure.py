"""A projection whose fold fails on an event stops alone, says so once and where, and goes on
once the cause is gone: after a restart with a fixed fold, or after a rebuild."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time
from typing import Any

import pytest

from orderledger.bootstrap import Store
from orderledger.cli.common import catch_up
from orderledger.domain.order import Order
from orderledger.projections import failures
from orderledger.projections.base import Projection, fold
from orderledger.projections.failures import Failure
from orderledger.projections.live import LiveProjection
from orderledger.projections.order_status import ORDER_STATUS
from orderledger.projections.rebuild import Rebuild
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.runner import FoldFailed, Projector
from orderledger.projections.tables import Target
from orderledger.projections.verify import verify
from tests.audit.conftest import Cli, busy_ledger, live_tables
from tests.conftest import open_account


def started_event(store: Store, number: int) -> tuple[int, str]:
    """The notification id of the order's start, and the order's id."""
    page = store.ledger.recorder.select_notifications(start=0, limit=100_000)
    events = [(n.id, store.ledger.mapper.to_domain_event(n)) for n in page]
    rows = fold(ORDER_STATUS, [event for _, event in events])
    order_id = next(key for key, row in rows.items() if row.number == number)
    return next(
        notification
        for notification, event in events
        if isinstance(event, Order.Started) and str(event.originator_id) == order_id
    ), order_id


def failing_on_start_of(order_id: str, attempts: list[int]) -> Projection[Any]:
    def evolve(row: Any, event: Any) -> Any:
        if isinstance(event, Order.Started) and str(event.originator_id) == order_id:
            attempts.append(1)
            raise ValueError("cannot fold this start")
        return ORDER_STATUS.evolve(row, event)

    return dataclasses.replace(ORDER_STATUS, evolve=evolve)


def projector_with(store: Store, order_status: Projection[Any]) -> Projector:
    projections = [order_status if p is ORDER_STATUS else p for p in PROJECTIONS]
    return Projector(store.ledger, store.db, [Target.live(p) for p in projections])


def others_at(store: Store, head: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        positions = store.projector().positions()
        if all(positions[p.name] >= head for p in PROJECTIONS if p is not ORDER_STATUS):
            return
        time.sleep(0.02)
    raise AssertionError(f"the other projections did not reach {head}: {positions}")


def stopped_lines(cli: Cli) -> list[str]:
    status, out, _ = cli("projections", "status")
    assert status == 0
    return [line for line in out.splitlines() if "stopped" in line]


def test_a_projection_that_cannot_fold_an_event_stops_only_itself_and_says_so_once(
    store: Store, cli: Cli, caplog: pytest.LogCaptureFixture
) -> None:
    audited = busy_ledger(store)
    bad, order_id = started_event(store, audited.number)
    attempts: list[int] = []
    live = LiveProjection(
        projector_with(store, failing_on_start_of(order_id, attempts)), store.leadership()
    )
    caplog.set_level(logging.INFO)
    live.start()
    try:
        later, _ = open_account(store, "later", deposit="5")
        store.ledger.place_order(later.id, 1, {"link": "https://later/1", "quantity": "100"})
        head = store.projector().head()
        others_at(store, head)
        time.sleep(1.5)  # the projector had time to retry in a hot loop, if it were to
    finally:
        live.stop()

    positions = store.projector().positions()
    assert positions[ORDER_STATUS.name] == bad - 1
    assert len(attempts) == 1
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(logged) == 1, logged
    assert "order_status" in logged[0] and f"event {bad}" in logged[0]
    assert "cannot fold this start" in logged[0]
    with store.db.transaction() as cursor:  # the others went on: the later deposit shows
        cursor.execute("SELECT balance FROM orderledger_account_balance WHERE name = 'later'")
        assert cursor.fetchone() == ("4.75000",)
    lines = stopped_lines(cli)
    assert len(lines) == 1
    assert f"order_status stopped at event {bad}" in lines[0]
    assert "Order.Started" in lines[0] and "ValueError: cannot fold this start" in lines[0]
    assert verify(store.ledger, store.db) != []  # a stopped projection is not a sound one

    catch_up(store)  # a restart with the fold fixed
    assert stopped_lines(cli) == []
    assert store.projector().positions()[ORDER_STATUS.name] == store.projector().head()
    assert verify(store.ledger, store.db) == []
    statuses = {row.number: row.status for row in live_tables(store)["order_status"]}
    assert statuses[audited.number] == "Partial"


def test_a_rebuild_puts_a_stopped_projection_back_to_work(store: Store, cli: Cli) -> None:
    audited = busy_ledger(store)
    bad, order_id = started_event(store, audited.number)
    projector_with(store, failing_on_start_of(order_id, [])).catch_up()
    assert [f"stopped at event {bad}" in line for line in stopped_lines(cli)] == [True]

    status, _, err = cli("projections", "rebuild", "order_status")
    assert status == 0, err
    assert stopped_lines(cli) == []
    assert store.projector().positions()[ORDER_STATUS.name] == store.projector().head()
    assert verify(store.ledger, store.db) == []


def test_a_rebuild_whose_fold_fails_switches_nothing_and_names_the_event(store: Store) -> None:
    audited = busy_ledger(store)
    before = live_tables(store)
    bad, order_id = started_event(store, audited.number)
    job = Rebuild(store.ledger, store.db, [failing_on_start_of(order_id, [])])
    job.prepare()
    with pytest.raises(FoldFailed, match=f"order_status cannot fold event {bad} .*Order.Started"):
        job.build()
    assert live_tables(store) == before


def set_stored_state(store: Store, notification: int, state: bytes | None = None) -> bytes:
    """Overwrite a stored event's state (None: keep it); the state it had."""
    table = store.ledger.recorder.events_table_name  # type: ignore[attr-defined]
    if store.backend.name == "postgres":
        key, database = "notification_id", store.db
        with database.transaction() as cursor:
            cursor.execute(f"SELECT state FROM {table} WHERE {key} = %s", (notification,))
            row = cursor.fetchone()
            assert row is not None
            if state is not None:
                cursor.execute(
                    f"UPDATE {table} SET state = %s WHERE {key} = %s", (state, notification)
                )
            return bytes(row[0])
    with sqlite3.connect(store.settings.data_dir / "events.sqlite") as conn:
        (old,) = conn.execute(
            f"SELECT state FROM {table} WHERE rowid = ?", (notification,)
        ).fetchone()
        if state is not None:
            conn.execute(f"UPDATE {table} SET state = ? WHERE rowid = ?", (state, notification))
        return bytes(old)


def test_a_stored_event_that_cannot_be_read_stops_only_the_projections_that_fold_it(
    store: Store, cli: Cli
) -> None:
    audited = busy_ledger(store)
    bad, _ = started_event(store, audited.number)
    state = set_stored_state(store, bad, b"{not json")
    catch_up(store)

    lines = stopped_lines(cli)
    assert {line.split()[0] for line in lines} == {"order_status", "work_queue"}
    assert all(f"stopped at event {bad}" in line and "unreadable" in line for line in lines)
    positions, head = store.projector().positions(), store.projector().head()
    assert positions["account_balance"] == positions["catalogue"] == head
    assert positions["order_status"] == positions["work_queue"] == bad - 1

    set_stored_state(store, bad, state)  # the event put right, then a restart
    catch_up(store)
    assert stopped_lines(cli) == []
    assert verify(store.ledger, store.db) == []


def test_a_projection_going_on_from_far_behind_does_not_hold_the_others_back(
    store: Store,
) -> None:
    audited = busy_ledger(store)
    bad, order_id = started_event(store, audited.number)
    projector_with(store, failing_on_start_of(order_id, [])).catch_up()
    open_account(store, "later", deposit="5")
    head = store.projector().head()
    assert head - bad > 5

    restarted = Projector(
        store.ledger, store.db, [Target.live(p) for p in PROJECTIONS], page_size=5
    )
    restarted.step()  # a page for the one far behind, and one for the others ahead
    positions = restarted.positions()
    assert positions[ORDER_STATUS.name] < head
    assert positions["account_balance"] == head  # the later account shows already
    restarted.catch_up()
    assert verify(store.ledger, store.db) == []


def test_a_stopped_projection_is_shown_stopped_since_its_first_failure_not_its_last_retry(
    store: Store,
) -> None:
    stopped = Failure(
        "order_status", 7, "Order.Started of x version 2", "ValueError: no", "2026-12-01T09:00:00"
    )
    retried = dataclasses.replace(stopped, failed_at="2026-12-01T09:01:00")
    elsewhere = dataclasses.replace(stopped, position=9, failed_at="2026-12-01T09:02:00")
    with store.db.transaction() as cursor:
        failures.record(cursor, stopped)
        failures.record(cursor, retried)  # the same event, the same error, a minute later
        assert failures.read(cursor, ["order_status"]) == {"order_status": stopped}
        failures.record(cursor, elsewhere)  # stopped anew, at another event
        assert failures.read(cursor, ["order_status"]) == {"order_status": elsewhere}
