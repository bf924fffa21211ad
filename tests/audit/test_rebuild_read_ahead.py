"""A rebuild reads and decodes the next pages while it writes one (on PostgreSQL): stopped,
killed, failing or overtaken at any point of that, it has committed whole pages and nothing
else, and a run after it resumes to the tables the events give."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from eventsourcing.persistence import Notification

from orderledger.bootstrap import Store
from orderledger.projections.rebuild import Rebuild, rebuild_target
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.verify import verify
from tests.audit.conftest import Cli, busy_ledger, live_tables

REPO = Path(__file__).resolve().parents[2]


def rebuild_positions(store: Store) -> set[int]:
    targets = [rebuild_target(p).tracking for p in PROJECTIONS]
    marks = ", ".join(["%s"] * len(targets))
    with store.db.transaction() as cursor:
        cursor.execute(
            f"SELECT position FROM orderledger_tracking WHERE projection IN ({marks})", targets
        )
        return {int(position) for (position,) in cursor.fetchall()}


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "rebuild-reader"]


def counting_reads(job: Rebuild) -> list[int]:
    """Record the position of every page `job` reads."""
    reads: list[int] = []
    read_after = job.read_after

    def counted(position: int) -> Sequence[Notification]:
        reads.append(position)
        return read_after(position)

    job.read_after = counted  # type: ignore[method-assign]
    return reads


def test_a_rebuild_stopped_with_pages_read_ahead_keeps_only_what_it_committed(
    store: Store, cli: Cli
) -> None:
    busy_ledger(store)
    before = live_tables(store)
    job = Rebuild(store.ledger, store.db, PROJECTIONS, page_size=5)
    job.prepare()
    reads = counting_reads(job)
    folded: list[int] = []

    def slowly(count: int) -> None:
        folded.append(count)
        if len(folded) == 2:  # give the reader time to fill its queue
            deadline = threading.Event()
            while len(reads) < 2 + store.backend.rebuild_read_ahead and not deadline.wait(0.01):
                pass

    assert not job.build(progress=slowly, should_stop=lambda: len(folded) >= 2)
    assert readers() == []
    assert len(reads) >= 2 + store.backend.rebuild_read_ahead  # it had read ahead
    assert rebuild_positions(store) == {10}  # the pages read ahead were not written
    assert live_tables(store) == before

    status, _, err = cli("projections", "rebuild", "--page-size", "5")
    assert status == 0, err
    assert "resuming the rebuild at event 10" in err
    assert live_tables(store) == before
    assert verify(store.ledger, store.db) == []


def test_a_rebuild_whose_reading_fails_raises_it_and_a_run_after_resumes(
    store: Store, cli: Cli
) -> None:
    busy_ledger(store)
    before = live_tables(store)
    job = Rebuild(store.ledger, store.db, PROJECTIONS, page_size=5)
    job.prepare()
    read_after = job.read_after
    reads: list[int] = []

    def failing(position: int) -> Sequence[Notification]:
        reads.append(position)
        if len(reads) == 4:
            raise OSError("the connection broke while reading")
        return read_after(position)

    job.read_after = failing  # type: ignore[method-assign]
    with pytest.raises(OSError, match="the connection broke while reading"):
        job.build()
    assert readers() == []
    assert rebuild_positions(store) == {15}  # the three pages read before it, no more
    assert live_tables(store) == before  # nothing switched

    status, _, err = cli("projections", "rebuild", "--page-size", "5")
    assert status == 0, err
    assert "resuming the rebuild at event 15" in err
    assert live_tables(store) == before
    assert verify(store.ledger, store.db) == []


def test_a_rebuild_overtaken_by_another_runner_drops_its_pages_read_ahead_and_goes_on(
    store: Store,
) -> None:
    busy_ledger(store)
    before = live_tables(store)
    job = Rebuild(store.ledger, store.db, PROJECTIONS, page_size=5)
    job.prepare()
    other = Rebuild(store.ledger, store.db, PROJECTIONS, page_size=5)  # same tables, no lock
    folded: list[int] = []

    def overtaken(count: int) -> None:
        folded.append(count)
        if len(folded) == 1:
            assert other.projector.step() == 5  # moves every position from 5 to 10

    assert job.build(progress=overtaken)
    assert readers() == []
    # the page it had read ahead from 5 was refused and read again from 10, not folded twice
    assert sum(folded) == store.projector().head() - 5
    assert job.switch() == store.projector().head()
    assert live_tables(store) == before
    assert verify(store.ledger, store.db) == []


KILLED_WITH_PAGES_AHEAD = """
import os, signal, sys, time
from orderledger.projections import runner
from orderledger.projections.rebuild import Rebuild, rebuild
from orderledger.projections.registry import PROJECTIONS
from orderledger.bootstrap import Store

store = Store.open()
reads = []
read_after = Rebuild.read_after

def counted(self, position):
    reads.append(position)
    return read_after(self, position)

Rebuild.read_after = counted
calls = []
upsert_rows = runner.upsert_rows

def upsert_then_die(cursor, target, rows):
    upsert_rows(cursor, target, rows)
    calls.append(target)
    if len(calls) == 3 * len(PROJECTIONS) + 2:  # in the middle of the fourth page's transaction
        deadline = time.monotonic() + 10
        while len(reads) < 4 + store.backend.rebuild_read_ahead and time.monotonic() < deadline:
            time.sleep(0.01)  # until the reader holds the pages after this one
        print(len(reads), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

runner.upsert_rows = upsert_then_die
rebuild(store.ledger, store.db, PROJECTIONS, page_size=5)
"""


@pytest.mark.slow
def test_a_rebuild_killed_with_pages_read_ahead_resumes_to_the_tables_verify_agrees_with(
    store: Store, cli: Cli
) -> None:
    busy_ledger(store)
    before = live_tables(store)
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_WITH_PAGES_AHEAD)],
        env=os.environ.copy(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert int(killed.stdout) >= 4 + store.backend.rebuild_read_ahead  # it had read ahead
    assert rebuild_positions(store) == {15}  # three pages of 5 stand, nothing after them
    assert live_tables(store) == before

    status, _, err = cli("projections", "rebuild", "--page-size", "5")
    assert status == 0, err
    assert "resuming the rebuild at event 15" in err
    assert live_tables(store) == before
    assert verify(store.ledger, store.db) == []
