"""Folds the event log into the read-model tables, exactly once.

A page of notifications is folded in memory and written, rows and tracking positions
together, in one transaction. The tracking update is conditional on the position read
before the page, so two runners that overlap cannot both apply a page: the second rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from eventsourcing.utils import resolve_topic

from orderledger.domain.ledger import Ledger
from orderledger.projections.tables import Target, create_statements, load_rows, upsert_rows
from orderledger.storage.database import Cursor, Database
from orderledger.storage.schema import create_tables

PAGE_SIZE = 500


class ConcurrentProjection(RuntimeError):
    """Another runner moved the same tracking position first; this page was rolled back."""


def ensure_targets(db: Database, targets: Sequence[Target]) -> None:
    statements = [s for target in targets for s in create_statements(target)]
    create_tables(db, statements)
    with db.transaction() as cursor:
        for target in targets:
            cursor.execute(
                "INSERT INTO orderledger_tracking (projection, position) VALUES (%s, 0) "
                "ON CONFLICT (projection) DO NOTHING",
                (target.tracking,),
            )


def read_positions(cursor: Cursor, names: Sequence[str]) -> dict[str, int]:
    marks = ", ".join(["%s"] * len(names))
    cursor.execute(
        f"SELECT projection, position FROM orderledger_tracking WHERE projection IN ({marks})",
        list(names),
    )
    return {str(name): int(position) for name, position in cursor.fetchall()}


class Projector:
    def __init__(
        self,
        ledger: Ledger,
        db: Database,
        targets: Sequence[Target],
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.ledger = ledger
        self.db = db
        self.targets = list(targets)
        self.page_size = page_size
        event_classes = tuple(cls for t in targets for cls in t.projection.events)
        self.wanted: Callable[[str], bool] = cache(
            lambda topic: issubclass(resolve_topic(topic), event_classes)
        )

    def ensure(self) -> None:
        ensure_targets(self.db, self.targets)

    def positions(self) -> dict[str, int]:
        with self.db.transaction() as cursor:
            return read_positions(cursor, [t.tracking for t in self.targets])

    def head(self) -> int:
        return int(self.ledger.recorder.max_notification_id() or 0)

    def step(self) -> int:
        """Fold the next page; return how many notifications it held (0: caught up)."""
        positions = self.positions()
        start = min(positions.values())
        page = self.ledger.recorder.select_notifications(
            start=start, limit=self.page_size, inclusive_of_start=False
        )
        if not page:
            return 0
        events = [
            (n.id, self.ledger.mapper.to_domain_event(n)) for n in page if self.wanted(n.topic)
        ]
        last = page[-1].id
        with self.db.transaction() as cursor:
            for target in self.targets:
                self.apply(cursor, target, positions[target.tracking], last, events)
        return len(page)

    def apply(
        self, cursor: Cursor, target: Target, position: int, last: int, events: list[Any]
    ) -> None:
        if last <= position:
            return
        evolve = target.projection.evolve
        relevant = [e for n, e in events if n > position and target.projection.handles(e)]
        rows = load_rows(cursor, target, {str(e.originator_id) for e in relevant})
        changed: dict[str, Any] = {}
        for event in relevant:
            key = str(event.originator_id)
            before = rows.get(key)
            after = evolve(before, event)
            if after is not before:
                rows[key] = after
                changed[key] = after
        upsert_rows(cursor, target, changed)
        cursor.execute(
            "UPDATE orderledger_tracking SET position = %s WHERE projection = %s AND position = %s",
            (last, target.tracking, position),
        )
        if cursor.rowcount != 1:
            raise ConcurrentProjection(target.tracking)

    def catch_up(
        self,
        progress: Callable[[int], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> int:
        done = 0
        while not should_stop():
            count = self.step()
            if not count:
                break
            done += count
            if progress is not None:
                progress(count)
        return done
