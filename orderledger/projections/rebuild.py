"""Rebuild read models from the first event, beside the live tables, then switch in one step.

A rebuild writes `<table>_rebuild` under its own tracking name `<name>:rebuild`, with the same
`Projector` as the live tables: one transaction per page of the log, rows and position together.
So it can be killed at any moment and a re-run continues where the last page committed.
Where the backend says so (PostgreSQL), the next pages are read and decoded in a thread of
their own while one is folded and written (`pages`); only whole pages are ever committed, in
log order, by the folding thread, and pages read ahead but not folded are dropped.

The switch is one transaction: it catches up the events that arrived meanwhile, replaces the
live table by the rebuilt one and moves the live tracking position to the rebuild's. A live
projector running in a server meanwhile either committed before (its rows are discarded with
the old table) or tries after, finds its position moved and rolls back (`ConcurrentProjection`),
then continues from the switched position: no event is skipped or folded twice. Both take
their locks in one order, tracking rows (in registry order) before tables, so neither can hold
what the other waits for. A live projection stopped by an event it could not fold goes on from
the switched position.

The rebuild tables get their plain indexes once the last page is written (one index built
over all the rows costs less than one kept up to date through the load), in a transaction of
their own, and again, where still missing, inside the switch: a table is never switched live
without them. The primary key and unique columns are there from the start, so a resumed run
reads its rows by key as before.

One rebuild runs at a time (`only_rebuild`); a second is refused. A fold that fails during a
rebuild stops it (`FoldFailed`) before anything is switched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import Notification

from orderledger.projections import failures
from orderledger.projections.base import Projection
from orderledger.projections.pages import cycles_left_for_later, pages_ahead, read_pages
from orderledger.projections.rebuild_lock import only_rebuild
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.runner import (
    ConcurrentProjection,
    Projector,
    read_positions,
)
from orderledger.projections.source import Source
from orderledger.projections.tables import Target, index_statements
from orderledger.storage.database import Cursor, Database

REBUILD_SUFFIX = "_rebuild"
# Larger pages than the live projector's: each page pays a few round trips and a commit,
# which at 500 events were a third of a rebuild's time; 5,000 decoded events are a few MB.
REBUILD_PAGE_SIZE = 5_000


def rebuild_target(projection: Projection[Any]) -> Target:
    return Target(
        projection,
        projection.table + REBUILD_SUFFIX,
        projection.name + ":rebuild",
        indexed_later=True,
    )


def in_registry_order(projections: Sequence[Projection[Any]]) -> list[Projection[Any]]:
    # The live projector takes its locks in registry order; the switch must too (no deadlock).
    rank = {p.name: i for i, p in enumerate(PROJECTIONS)}
    unique = {p.name: p for p in reversed(projections)}  # the first of each name
    return sorted(unique.values(), key=lambda p: rank[p.name])


class Rebuild:
    def __init__(
        self,
        ledger: Source,
        db: Database,
        projections: Sequence[Projection[Any]],
        page_size: int = REBUILD_PAGE_SIZE,
    ) -> None:
        self.ledger = ledger
        self.db = db
        self.projections = in_registry_order(projections)
        self.targets = [rebuild_target(p) for p in self.projections]
        self.projector = Projector(
            ledger, db, self.targets, page_size=page_size, stop_alone=False, batch_writes=False
        )

    def prepare(self) -> None:
        """Create the rebuild tables and positions, or keep those of an interrupted run."""
        with self.db.transaction() as cursor:
            for target in self.targets:
                if not self.db.backend.table_exists(cursor, target.table):
                    # A position without its table would skip every event before it.
                    cursor.execute(
                        "DELETE FROM orderledger_tracking WHERE projection = %s",
                        (target.tracking,),
                    )
        self.projector.ensure()

    def discard(self) -> None:
        """Forget an earlier, unfinished rebuild: start again from the first event."""
        with self.db.transaction() as cursor:
            for target in self.targets:
                cursor.execute(f"DROP TABLE IF EXISTS {target.table}")
                cursor.execute(
                    "DELETE FROM orderledger_tracking WHERE projection = %s", (target.tracking,)
                )

    def position(self) -> int:
        return min(self.projector.positions().values())

    def head(self) -> int:
        return self.projector.head()

    def build(
        self,
        progress: Callable[[int], object] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> bool:
        """Fold the log into the rebuild tables up to its head; False if stopped before."""
        while True:
            try:
                with cycles_left_for_later():
                    finished = self.fold_log(progress, should_stop)
            except ConcurrentProjection:
                continue  # another runner of these tables (one that skipped the rebuild lock)
            if finished:
                with self.db.transaction() as cursor:
                    self.add_indexes(cursor)
            return finished

    def fold_log(
        self, progress: Callable[[int], object] | None, should_stop: Callable[[], bool]
    ) -> bool:
        """Fold page after page from the rebuild's positions, each in its transaction, the
        next pages read meanwhile as the backend chooses (`pages`); False if stopped first."""
        positions = self.projector.positions()
        if should_stop():
            return False
        pages = read_pages(self.read_after, self.projector.decode, min(positions.values()))
        with pages_ahead(pages, self.db.backend.rebuild_read_ahead) as ahead:
            for page in ahead:
                with self.db.transaction() as cursor:
                    self.projector.apply_page(
                        cursor, self.targets, positions, page.last, page.events
                    )
                for target in self.targets:
                    positions[target.tracking] = max(positions[target.tracking], page.last)
                if progress is not None:
                    progress(page.count)
                if should_stop():
                    return False
        return True

    def read_after(self, position: int) -> Sequence[Notification]:
        return self.ledger.recorder.select_notifications(
            start=position, limit=self.projector.page_size, inclusive_of_start=False
        )

    def add_indexes(self, cursor: Cursor) -> None:
        """The rebuild tables' plain indexes, where missing (`Target.indexed_later`)."""
        for target in self.targets:
            for statement in index_statements(target):
                cursor.execute(statement)

    def switch(self) -> int:
        """Put the rebuilt tables live in one transaction; return the position they hold."""
        with self.db.transaction() as cursor:
            self.db.backend.lock_switch(cursor)
            positions = self.lock(cursor)
            self.add_indexes(cursor)  # made by `build` already, unless it was not run to the end
            position = self.catch_up_within(cursor, positions)
            for target in self.targets:
                self.replace_live_table(cursor, target)
                cursor.execute(
                    "INSERT INTO orderledger_tracking (projection, position) VALUES (%s, %s) "
                    "ON CONFLICT (projection) DO UPDATE SET position = excluded.position",
                    (target.projection.name, positions[target.tracking]),
                )
                cursor.execute(
                    "DELETE FROM orderledger_tracking WHERE projection = %s", (target.tracking,)
                )
            failures.clear(cursor, [p.name for p in self.projections])
        return position

    def lock(self, cursor: Cursor) -> dict[str, int]:
        """Take the positions, then the tables, in the live projector's order: it updates its
        positions first (registry order) and touches its tables after."""
        self.db.backend.lock_for_update(
            cursor,
            [p.name for p in self.projections] + [t.tracking for t in self.targets],
            [(target.projection.table, target.table) for target in self.targets],
        )
        return read_positions(cursor, [t.tracking for t in self.targets])

    def catch_up_within(self, cursor: Cursor, positions: dict[str, int]) -> int:
        """Fold the events that arrived since the last page, inside the switch."""
        while True:
            start = min(positions.values())
            page = self.read_after(start)
            if not page:
                return start
            events = self.projector.decode(page)
            last = page[-1].id
            self.projector.apply_page(cursor, self.targets, positions, last, events)
            for target in self.targets:
                positions[target.tracking] = max(positions[target.tracking], last)

    def replace_live_table(self, cursor: Cursor, target: Target) -> None:
        live = target.projection.table
        cursor.execute(f"DROP TABLE IF EXISTS {live}")
        cursor.execute(f"ALTER TABLE {target.table} RENAME TO {live}")
        self.db.backend.rename_rebuilt_indexes(
            cursor, target.table, live, target.projection.indexes
        )


def rebuild(
    ledger: Source,
    db: Database,
    projections: Sequence[Projection[Any]],
    page_size: int = REBUILD_PAGE_SIZE,
    progress: Callable[[int], object] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Build (or resume building) and switch; False if stopped before the switch.
    RebuildRunning if another rebuild runs; FoldFailed if a fold fails (nothing switched)."""
    with only_rebuild(db):
        job = Rebuild(ledger, db, projections, page_size)
        job.prepare()
        if not job.build(progress, should_stop):
            return False
        job.switch()
        return True
