"""Folds the event log into the read-model tables, exactly once.

A page of notifications is folded in memory and written, rows and tracking positions
together, in one transaction. The tracking update is conditional on the position read
before the page, so two runners that overlap cannot both apply a page: the second rolls back.

A projection whose fold fails on an event stops just before it, alone: its rows and position
hold every event before, the failure is recorded (`failures`) and logged once, and the others
go on. It is tried again now and then (`RETRY_SECONDS`), at once by a new process (a restart
with the fold fixed), and a rebuild's switch replaces it. A rebuild's own projector stops
instead (`FoldFailed`): a table missing an event must never be switched live.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any

from eventsourcing.domain import CanInitAggregate
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from orderledger.projections import failures
from orderledger.projections.failures import Failure, Unreadable, new_failure
from orderledger.projections.source import Source
from orderledger.projections.tables import (
    Target,
    add_missing_columns,
    create_statements,
    insert_rows,
    load_rows,
    upsert_rows,
)
from orderledger.storage.database import Cursor, Database
from orderledger.storage.schema import create_tables

log = logging.getLogger(__name__)

PAGE_SIZE = 500
# A fold that failed fails again on the same event until its code or the event's store
# changes, which a restart or a rebuild brings; a retry now and then costs one page.
RETRY_SECONDS = 60.0
# (notification id, row key, event): one decoded event of a page.
Folded = tuple[int, str, Any]


class ConcurrentProjection(RuntimeError):
    """Another runner moved the same tracking position first; this page was rolled back."""


class FoldFailed(RuntimeError):
    """A projection's fold raised on an event (a rebuild stops here, switching nothing)."""

    def __init__(self, target: Target, failure: Failure) -> None:
        super().__init__(
            f"{target.projection.name} cannot fold event {failure.position} "
            f"({failure.event}): {failure.error}"
        )
        self.failure = failure


def ensure_targets(db: Database, targets: Sequence[Target]) -> None:
    statements = [s for target in targets for s in create_statements(target, db.backend)]
    statements.append(failures.CREATE)
    create_tables(db, statements)
    with db.transaction() as cursor:
        for target in targets:
            add_missing_columns(cursor, target, db.backend)
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


def state_sql(names: Sequence[str]) -> str:
    marks = ", ".join(["%s"] * len(names))
    return (
        "SELECT t.projection, t.position, f.position FROM orderledger_tracking t "
        f"LEFT JOIN {failures.TABLE} f ON f.projection = t.projection "
        f"WHERE t.projection IN ({marks})"
    )


def read_positions(cursor: Cursor, names: Sequence[str]) -> dict[str, int]:
    cursor.execute(positions_sql(names), list(names))
    return as_positions(cursor.fetchall())


def created_here(events: Sequence[Folded]) -> set[str]:
    """Ids whose aggregate is created within these events: no row can exist for them yet.

    A row is only ever written from an aggregate's events, and its creation event is its
    first (the recorder keeps one per id), so an aggregate created after the position has
    nothing in the table: its rows need neither a read before nor a conflict check after.
    """
    seen: set[str] = set()
    created: set[str] = set()
    for _, key, event in events:
        if key not in seen:
            seen.add(key)
            if isinstance(event, CanInitAggregate):
                created.add(key)
    return created


def route(
    targets: Sequence[Target], positions: Mapping[str, int], events: list[Folded]
) -> list[list[Folded]]:
    """Each target's events of the page past its position, in log order. One pass over the
    page, with what each event class goes to worked out once per class (an isinstance per
    event per target was a noticeable share of a rebuild)."""
    routed: list[list[Folded]] = [[] for _ in targets]
    after = [positions[t.tracking] for t in targets]
    routes: dict[type, list[int]] = {}
    for folded in events:
        number, _, event = folded
        kind = type(event)
        if kind is Unreadable:
            kind = event.kind
        to = routes.get(kind)
        if to is None:
            to = routes[kind] = [
                i for i, t in enumerate(targets) if issubclass(kind, t.projection.events)
            ]
        for i in to:
            if number > after[i]:
                routed[i].append(folded)
    return routed


class Projector:
    def __init__(
        self,
        ledger: Source,
        db: Database,
        targets: Sequence[Target],
        page_size: int = PAGE_SIZE,
        stop_alone: bool = True,
        batch_writes: bool = True,
    ) -> None:
        self.ledger = ledger
        self.db = db
        self.targets = list(targets)
        self.page_size = page_size
        self.stop_alone = stop_alone  # a failing projection stops alone; else FoldFailed
        # A page's writes sent together (small pages: the live projector), or each on its
        # own, where PostgreSQL's COPY saves CPU on large pages (a rebuild).
        self.batch_writes = batch_writes
        self.retry_at: dict[str, float] = {}  # stopped targets: when this process tries again
        self.reported: set[tuple[str, int, str]] = set()
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

    def state(self) -> tuple[dict[str, int], set[str]]:
        """Every target's position, and the targets stopped by an event they cannot fold."""
        names = [t.tracking for t in self.targets]
        rows = self.db.alone(state_sql(names), names)
        positions = {str(name): int(position) for name, position, _ in rows}
        return positions, {str(name) for name, _, failed in rows if failed is not None}

    def active(self, stopped: Collection[str]) -> list[Target]:
        now = time.monotonic()
        return [
            t
            for t in self.targets
            if t.tracking not in stopped or self.retry_at.get(t.tracking, 0.0) <= now
        ]

    def step(self) -> int:
        """Fold the next page; return how many notifications it held (0: caught up).

        Targets the page left behind it (ahead of one that went on from far behind, say)
        get their own next page in the same step, so none waits for another to catch up."""
        positions, stopped = self.state()
        pending = self.active(stopped)
        done = 0
        while pending:
            start = min(positions[t.tracking] for t in pending)
            page = self.ledger.recorder.select_notifications(
                start=start, limit=self.page_size, inclusive_of_start=False
            )
            if not page:
                break
            last = page[-1].id
            self.fold(pending, positions, stopped, page)
            done += len(page)
            pending = [t for t in pending if positions[t.tracking] >= last]
        return done

    def fold(
        self,
        targets: Sequence[Target],
        positions: Mapping[str, int],
        stopped: Collection[str],
        page: Sequence[Notification],
    ) -> None:
        events = self.decode(page)
        retried = [t.tracking for t in targets if t.tracking in stopped]
        with self.db.transaction() as cursor:
            failed = self.apply_page(cursor, targets, positions, page[-1].id, events, retried)
        self.report(retried, failed)

    def report(self, retried: Sequence[str], failed: Sequence[Failure]) -> None:
        """Log each failure once per process; a stopped target waits before its next try."""
        for failure in failed:
            self.retry_at[failure.projection] = time.monotonic() + RETRY_SECONDS
            seen = (failure.projection, failure.position, failure.error)
            if seen not in self.reported:
                self.reported.add(seen)
                log.error(
                    "projection %s cannot fold event %d (%s): %s; it stops before that event "
                    "(the others go on) and is tried again every %d s, after a restart or by "
                    "`orderledger projections rebuild %s`",
                    failure.projection,
                    failure.position,
                    failure.event,
                    failure.error,
                    RETRY_SECONDS,
                    failure.projection,
                )
        for name in set(retried) - {f.projection for f in failed}:
            self.retry_at.pop(name, None)
            log.info("projection %s folded the event it had stopped at and goes on", name)

    def decode(self, page: Sequence[Notification]) -> list[Folded]:
        """The page's events some target folds, each with its row key (made once, not per
        target: a UUID's str is a noticeable share of a rebuild)."""
        to_event = self.ledger.mapper.to_domain_event
        folded: list[Folded] = []
        for notification in page:
            if self.wanted(notification.topic):
                event: Any
                try:
                    event = to_event(notification)
                except Exception as error:  # the projections that fold it stop there
                    event = Unreadable(resolve_topic(notification.topic), notification, error)
                folded.append((notification.id, str(notification.originator_id), event))
        return folded

    def apply_page(
        self,
        cursor: Cursor,
        targets: Sequence[Target],
        positions: Mapping[str, int],
        last: int,
        events: list[Folded],
        retried: Collection[str] = (),
    ) -> list[Failure]:
        """Fold a page into every target it moves, rows and positions in the caller's
        transaction; the failures of targets that stopped within it (each recorded). A
        `retried` target that folds its page is no longer stopped."""
        moving = [t for t in targets if positions[t.tracking] < last]
        if not moving:
            return []
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
        folded = [
            self.fold_page(cursor, target, relevant)
            for target, relevant in zip(moving, routed, strict=True)
        ]
        failed = [failure for _, _, failure in folded if failure is not None]
        # Every read is done: the writes of all targets go together (`batched`), one round
        # trip in place of one or two per target (the live projector's lag is mostly these).
        with self.batched(cursor):
            for target, (created, changed, failure) in zip(moving, folded, strict=True):
                self.write(cursor, target, created, changed)
                if failure is not None:
                    self.stop_before(cursor, failure)
            folded_again = [t.tracking for t in moving if t.tracking in retried]
            failures.clear(cursor, sorted(set(folded_again) - {f.projection for f in failed}))
        return failed

    def batched(self, cursor: Cursor) -> AbstractContextManager[object]:
        return self.db.backend.batched(cursor) if self.batch_writes else nullcontext()

    def fold_page(
        self, cursor: Cursor, target: Target, relevant: list[Folded]
    ) -> tuple[set[str], dict[str, Any], Failure | None]:
        """Fold a target's events of the page (in log order) into its rows, up to the event
        its fold fails on, if any, where it stops: the ids created in the page, the rows
        changed (None: removed), the failure. Reads the rows it needs; writes nothing."""
        evolve = target.projection.evolve
        created = created_here(relevant)
        rows = load_rows(cursor, target, {key for _, key, _ in relevant} - created)
        changed: dict[str, Any] = {}
        failure = None
        for number, key, event in relevant:
            before = rows.get(key)
            try:
                if type(event) is Unreadable:
                    raise event.error
                after = evolve(before, event)
            except Exception as error:
                failure = new_failure(target.tracking, number, event, error)
                if not self.stop_alone:
                    raise FoldFailed(target, failure) from error
                break
            if after is not before:
                rows[key] = after
                changed[key] = after
        return created, changed, failure

    def stop_before(self, cursor: Cursor, failure: Failure) -> None:
        cursor.execute(
            "UPDATE orderledger_tracking SET position = %s WHERE projection = %s",
            (failure.position - 1, failure.projection),
        )
        failures.record(cursor, failure)

    def write(
        self, cursor: Cursor, target: Target, created: set[str], changed: dict[str, Any]
    ) -> None:
        insert_rows(
            cursor,
            target,
            [row for key, row in changed.items() if key in created and row is not None],
            self.db.backend,
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
