from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.cli.common import catch_up
from orderledger.projections.rebuild import Rebuild, rebuild_target
from orderledger.projections.registry import BY_NAME, PROJECTIONS
from orderledger.projections.verify import verify
from tests.audit.conftest import Cli, busy_ledger, live_tables
from tests.conftest import open_account

REPO = Path(__file__).resolve().parents[2]


def index_names(store: Store, table: str) -> list[str]:
    with store.db.transaction() as cursor:
        if store.backend.name == "postgres":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", (table,))
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", (table,)
            )
        return sorted(str(name) for (name,) in cursor.fetchall())


def tracking(store: Store) -> dict[str, int]:
    with store.db.transaction() as cursor:
        cursor.execute("SELECT projection, position FROM orderledger_tracking")
        return {str(name): int(position) for name, position in cursor.fetchall()}


def test_a_rebuild_produces_tables_identical_to_the_live_ones(store: Store, cli: Cli) -> None:
    busy_ledger(store)
    before = live_tables(store)
    indexes = {p.table: index_names(store, p.table) for p in PROJECTIONS}
    with store.db.transaction() as cursor:  # a damaged row the rebuild must put right
        cursor.execute("UPDATE orderledger_order_status SET status = 'Failed'")

    status, out, err = cli("projections", "rebuild", "--page-size", "7")
    assert status == 0, err
    assert "switched them live" in out
    assert "rebuilding" in err  # the progress bar

    assert live_tables(store) == before
    assert {p.table: index_names(store, p.table) for p in PROJECTIONS} == indexes
    head = store.projector().head()
    assert tracking(store) == {p.name: head for p in PROJECTIONS}
    # A second rebuild finds no leftover table, index or constraint name in its way.
    assert cli("projections", "rebuild", "order_status")[0] == 0
    assert live_tables(store) == before


def test_a_rebuild_of_one_projection_leaves_the_others_alone(store: Store, cli: Cli) -> None:
    busy_ledger(store)
    live_tables(store)
    with store.db.transaction() as cursor:
        cursor.execute("UPDATE orderledger_services SET name = 'tampered'")
        cursor.execute("UPDATE orderledger_order_status SET status = 'Failed'")
    assert cli("projections", "rebuild", "order_status")[0] == 0
    tables = live_tables(store)
    assert {row.name for row in tables["catalogue"]} == {"tampered"}
    assert "Failed" not in {row.status for row in tables["order_status"]}


def test_an_unknown_projection_is_refused(store: Store, cli: Cli) -> None:
    status, _, err = cli("projections", "rebuild", "orders")
    assert status == 1
    assert "no projection orders" in err


def test_a_rebuild_stopped_halfway_resumes_where_it_stopped(store: Store, cli: Cli) -> None:
    busy_ledger(store)
    before = live_tables(store)
    pages: list[int] = []
    stopped = Rebuild(store.ledger, store.db, PROJECTIONS, page_size=5)
    stopped.prepare()
    assert not stopped.build(progress=pages.append, should_stop=lambda: len(pages) >= 3)
    halfway = tracking(store)
    assert halfway["order_status:rebuild"] == sum(pages) < store.projector().head()
    assert live_tables(store) == before  # nothing switched

    status, out, _ = cli("projections", "status")
    assert "order_status" in out and f"at {sum(pages)}" in out

    status, _, err = cli("projections", "rebuild", "--page-size", "5")
    assert status == 0, err
    assert f"resuming the rebuild at event {sum(pages)}" in err
    assert live_tables(store) == before
    assert "order_status:rebuild" not in tracking(store)


def test_a_rebuild_indexes_its_tables_after_the_last_page_and_a_resumed_one_too(
    store: Store, cli: Cli
) -> None:
    busy_ledger(store)
    indexes = {p.table: index_names(store, p.table) for p in PROJECTIONS}
    assert "orderledger_work_queue_due_at" in indexes["orderledger_work_queue"]
    pages: list[int] = []
    stopped = Rebuild(store.ledger, store.db, PROJECTIONS, page_size=5)
    stopped.prepare()
    assert not stopped.build(progress=pages.append, should_stop=lambda: len(pages) >= 2)
    loading = rebuild_target(BY_NAME["work_queue"]).table
    assert not any(name.endswith(("_due_at", "_number")) for name in index_names(store, loading))

    status, _, err = cli("projections", "rebuild", "--page-size", "5")
    assert status == 0, err
    assert "resuming the rebuild" in err
    assert {p.table: index_names(store, p.table) for p in PROJECTIONS} == indexes


def test_a_switch_before_the_last_page_still_puts_indexed_tables_live(store: Store) -> None:
    busy_ledger(store)
    before = live_tables(store)
    indexes = {p.table: index_names(store, p.table) for p in PROJECTIONS}
    pages: list[int] = []
    job = Rebuild(store.ledger, store.db, PROJECTIONS, page_size=5)
    job.prepare()
    assert not job.build(progress=pages.append, should_stop=lambda: len(pages) >= 1)
    assert job.switch() == store.projector().head()  # the rest folded within the switch
    assert live_tables(store) == before
    assert {p.table: index_names(store, p.table) for p in PROJECTIONS} == indexes


KILLED_REBUILD = """
import os, signal
from orderledger.projections import runner
from orderledger.projections.rebuild import rebuild
from orderledger.projections.registry import PROJECTIONS
from orderledger.bootstrap import Store

calls = []
upsert_rows = runner.upsert_rows

def upsert_then_die(cursor, target, rows):
    upsert_rows(cursor, target, rows)
    calls.append(target)
    if len(calls) == 3 * len(PROJECTIONS) + 2:  # in the middle of the fourth page's transaction
        os.kill(os.getpid(), signal.SIGKILL)

runner.upsert_rows = upsert_then_die
store = Store.open()
rebuild(store.ledger, store.db, PROJECTIONS, page_size=5)
"""


@pytest.mark.slow
def test_a_rebuild_killed_mid_transaction_resumes_to_the_same_tables(
    store: Store, cli: Cli
) -> None:
    busy_ledger(store)
    before = live_tables(store)
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_REBUILD)],
        env=os.environ.copy(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The fourth page's transaction died with the process: three pages of 5 stand.
    positions = tracking(store)
    assert {positions[rebuild_target(p).tracking] for p in PROJECTIONS} == {15}
    assert live_tables(store) == before

    status, _, err = cli("projections", "rebuild", "--page-size", "5")
    assert status == 0, err
    assert "resuming the rebuild at event 15" in err
    assert live_tables(store) == before
    assert verify(store.ledger, store.db) == []


def status_of(client: TestClient[Any], key: str, number: int) -> dict[str, str]:
    response = client.post("/api/v2", data={"key": key, "action": "status", "order": number})
    assert response.status_code == 200
    body: dict[str, str] = response.json()
    return body


def test_the_api_answers_throughout_a_rebuild_and_nothing_is_skipped(
    store: Store, client: TestClient[Any]
) -> None:
    audited = busy_ledger(store)
    catch_up(store)
    expected = status_of(client, audited.key, audited.number)
    assert expected["status"] == "Partial"
    added: list[int] = []

    def while_rebuilding(count: int) -> None:
        assert status_of(client, audited.key, audited.number) == expected
        if len(added) == 5:
            return
        answer = client.post(
            "/api/v2",
            data={
                "key": audited.key,
                "action": "add",
                "service": 1,
                "link": f"https://during/{len(added)}",
                "quantity": 100,
            },
        ).json()
        added.append(answer["order"])
        assert status_of(client, audited.key, added[-1])["status"] == "Pending"

    job = Rebuild(store.ledger, store.db, PROJECTIONS, page_size=4)
    job.prepare()
    assert job.build(progress=while_rebuilding)
    job.switch()
    assert status_of(client, audited.key, audited.number) == expected
    added.append(
        client.post(
            "/api/v2",
            data={
                "key": audited.key,
                "action": "add",
                "service": 1,
                "link": "https://after",
                "quantity": 100,
            },
        ).json()["order"]
    )

    catch_up(store)
    assert verify(store.ledger, store.db) == []
    rows = {row.number: row for row in live_tables(store)["order_status"]}
    assert all(rows[number].status == "Pending" for number in added)
    balance = client.post("/api/v2", data={"key": audited.key, "action": "balance"}).json()
    assert balance["balance"] == f"{9 - 0.25 * len(added):.5f}"


def test_status_shows_each_projections_position_the_head_and_the_lag(
    store: Store, cli: Cli
) -> None:
    open_account(store)
    head = store.projector().head()
    status, out, _ = cli("projections", "status")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["projection", "position", "head", "lag", "rebuild"]
    assert {tuple(line.split()) for line in lines[1:]} == {
        (name, "0", str(head), str(head)) for name in BY_NAME
    }
    catch_up(store)
    _, out, _ = cli("projections", "status")
    assert {tuple(line.split()) for line in out.splitlines()[1:]} == {
        (name, str(head), str(head), "0") for name in BY_NAME
    }


def test_a_rebuild_whose_table_was_dropped_starts_again_from_the_first_event(
    store: Store, cli: Cli
) -> None:
    busy_ledger(store)
    before = live_tables(store)
    halfway = Rebuild(store.ledger, store.db, [BY_NAME["order_status"]], page_size=5)
    halfway.prepare()
    assert not halfway.build(should_stop=lambda: halfway.position() >= 20)
    with store.db.transaction() as cursor:
        cursor.execute("DROP TABLE orderledger_order_status_rebuild")
    assert cli("projections", "rebuild", "order_status")[0] == 0
    assert live_tables(store) == before
