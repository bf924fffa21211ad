"""Folds the event log into the read-model tables, exactly once.

A page of notifications is folded in memory and written, rows and tracking positions
together, in one transaction. The tracking update is conditional on the position read
before the page, so two runners that overlap cannot both apply a page: the second rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from eventsourcing.domain import CanInitAggregate
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from orderledger.domain.ledger import Ledger
from orderledger.projections.tables import (
    Target,
    create_statements,
    insert_rows,
    load_rows,
    upsert_rows,
)
from orderledger.storage.database import Cursor, Database
from orderledger.storage.schema import create_tables

PAGE_SIZE = 500
# (notification id, row key, event): one decoded event of a page.
Folded = tuple[int, str, Any]


class ConcurrentProjection(RuntimeError):
    """Another runner moved the same tracking position first; this page was rolled back."""


def ensure_targets(db: Database, targets: Sequence[Target]) -> None:
    statements = [s for target in targets for s in create_statements(target, db.dialect)]
    create_tables(db, statements)
    with db.transaction() as cursor:
        for target in targets:
            cursor.execute(
                "INSERT INTO orderledger_tracking (projection, position) VALUES (%s, 0) "
                "ON CONFLICT (projection) DO NOTHING",
                (target.tracking,),
            )


def positions_sql(names: Sequence[str]) -> str:
    marks = ", ".join(["%s"] * len(names))
    return f"SELECT projection, position FROM orderledger_tracking WHERE projection IN ({marks})"


def as_positions(rows: Sequence[tuple[Any, ...]]) -> dict[str, int]:
    return {str(name): int(position) for name, position in rows}


def read_positions(cursor: Cursor, names: Sequence[str]) -> dict[str, int]:
    cursor.execute(positions_sql(names), list(names))
    return as_positions(cursor.fetchall())


def created_here(events: Sequence[tuple[str, Any]]) -> set[str]:
    """Ids whose aggregate is created within these events: no row can exist for them yet.

    A row is only ever written from an aggregate's events, and its creation event is its
    first (the recorder keeps one per id), so an aggregate created after the position has
    nothing in the table: its rows need neither a read before nor a conflict check after.
    """
    seen: set[str] = set()
    created: set[str] = set()
    for key, event in events:
        if key not in seen:
            seen.add(key)
            if isinstance(event, CanInitAggregate):
                created.add(key)
    return created


def route(
    targets: Sequence[Target], positions: Mapping[str, int], events: list[Folded]
) -> list[list[tuple[str, Any]]]:
    """Each target's events of the page past its position, in log order. One pass over the
    page, with what each event class goes to worked out once per class (an isinstance per
    event per target was a noticeable share of a rebuild)."""
    routed: list[list[tuple[str, Any]]] = [[] for _ in targets]
    after = [positions[t.tracking] for t in targets]
    routes: dict[type, list[int]] = {}
    for number, key, event in events:
        kind = type(event)
        to = routes.get(kind)
        if to is None:
            to = routes[kind] = [
                i for i, t in enumerate(targets) if issubclass(kind, t.projection.events)
            ]
        for i in to:
            if number > after[i]:
                routed[i].append((key, event))
    return routed


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
        names = [t.tracking for t in self.targets]
        return as_positions(self.db.alone(positions_sql(names), names))

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
        events = self.decode(page)
        with self.db.transaction() as cursor:
            self.apply_page(cursor, self.targets, positions, page[-1].id, events)
        return len(page)

    def decode(self, page: Sequence[Notification]) -> list[Folded]:
        """The page's events some target folds, each with its row key (made once, not per
        target: a UUID's str is a noticeable share of a rebuild)."""
        to_event = self.ledger.mapper.to_domain_event
        folded = []
        for notification in page:
            if self.wanted(notification.topic):
                event = to_event(notification)
                folded.append((notification.id, str(event.originator_id), event))
        return folded

    def apply_page(
        self,
        cursor: Cursor,
        targets: Sequence[Target],
        positions: Mapping[str, int],
        last: int,
        events: list[Folded],
    ) -> None:
        """Fold a page into every target it moves, rows and positions in the caller's
        transaction."""
        moving = [t for t in targets if positions[t.tracking] < last]
        if not moving:
            return
        # The positions first: a runner that overlaps waits here for the first to commit, then
        # finds a position moved and rolls back before writing a row. One statement per
        # target, in the targets' order (the rebuild's switch locks them in the same order),
        # sent together.
        cursor.executemany(
            "UPDATE orderledger_tracking SET position = %s WHERE projection = %s AND position = %s",
            [(last, t.tracking, positions[t.tracking]) for t in moving],
        )
        if cursor.rowcount != len(moving):
            raise ConcurrentProjection(", ".join(t.tracking for t in moving))
        routed = route(moving, positions, events)
        for target, relevant in zip(moving, routed, strict=True):
            self.fold_page(cursor, target, relevant)

    def fold_page(self, cursor: Cursor, target: Target, relevant: list[tuple[str, Any]]) -> None:
        """Fold a target's events of the page (in log order) into its rows and write them."""
        evolve = target.projection.evolve
        created = created_here(relevant)
        rows = load_rows(cursor, target, {key for key, _ in relevant} - created)
        changed: dict[str, Any] = {}
        for key, event in relevant:
            before = rows.get(key)
            after = evolve(before, event)
            if after is not before:
                rows[key] = after
                changed[key] = after
        insert_rows(
            cursor,
            target,
            [row for key, row in changed.items() if key in created and row is not None],
        )
        upsert_rows(cursor, target, {k: row for k, row in changed.items() if k not in created})

    def catch_up(
        self,
        progress: Callable[[int], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> int:
        done = 0
        while not should_stop():
            count = self.step()
            done += count
            if count and progress is not None:
                progress(count)
            if count < self.page_size:  # a short page held everything committed before it
                break
        return done
