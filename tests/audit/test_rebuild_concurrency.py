"""A rebuild beside a live projector and beside another rebuild: the switch always goes through,
and a second rebuild is refused instead of breaking the first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from orderledger.bootstrap import Store
from orderledger.cli.common import catch_up
from orderledger.projections.rebuild import Rebuild, rebuild
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.verify import verify
from tests.audit.conftest import Cli, busy_ledger, live_tables
from tests.conftest import open_account


def in_thread(work: Callable[[], object], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_until_a_transaction_waits_for_a_lock(store: Store) -> None:
    if store.backend.name != "postgres":
        time.sleep(0.3)  # SQLite: the switch waits for the write lock in BEGIN IMMEDIATE
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        waiting = store.db.alone(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE NOT l.granted AND a.datname = current_database()"
        )
        if waiting[0][0]:
            return
        time.sleep(0.01)
    raise AssertionError("the switch never waited for the projector")


def test_a_switch_during_a_live_projectors_page_waits_for_it_instead_of_deadlocking(
    store: Store,
) -> None:
    busy_ledger(store)
    catch_up(store)
    job = Rebuild(store.ledger, store.db, PROJECTIONS)
    job.prepare()
    assert job.build()
    account, _ = open_account(store, "late", deposit="10")
    store.ledger.place_order(account.id, 1, {"link": "https://late/1", "quantity": "100"})

    live = store.projector()
    in_page, go_on = threading.Event(), threading.Event()
    fold_page = live.fold_page

    def pause_after_the_positions(*args: Any) -> Any:
        if not in_page.is_set():
            in_page.set()
            go_on.wait(10)
        return fold_page(*args)

    live.fold_page = pause_after_the_positions  # type: ignore[method-assign]
    errors: list[BaseException] = []
    projecting = in_thread(live.step, errors)
    assert in_page.wait(10)
    switching = in_thread(job.switch, errors)
    wait_until_a_transaction_waits_for_a_lock(store)
    go_on.set()
    projecting.join(30)
    switching.join(30)

    assert errors == []
    catch_up(store)
    assert verify(store.ledger, store.db) == []
    numbers = {row.number for row in live_tables(store)["order_status"]}
    assert max(numbers) == 14


def test_a_second_rebuild_while_one_runs_is_refused_in_one_line(store: Store, cli: Cli) -> None:
    busy_ledger(store)
    before = live_tables(store)
    halfway, go_on = threading.Event(), threading.Event()

    def pause(count: int) -> None:
        halfway.set()
        go_on.wait(30)

    errors: list[BaseException] = []
    switched: list[bool] = []
    first = in_thread(
        lambda: switched.append(
            rebuild(store.ledger, store.db, PROJECTIONS, page_size=5, progress=pause)
        ),
        errors,
    )
    try:
        assert halfway.wait(10)
        status, out, err = cli("projections", "rebuild")
    finally:
        go_on.set()
        first.join(60)

    assert status == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "another rebuild is running" in err
    assert errors == []
    assert switched == [True]  # the first one was not disturbed
    assert live_tables(store) == before
    assert cli("projections", "rebuild")[0] == 0  # and once it is done, the next one may run
