"""Projections stopped by an event they cannot fold: what, where and why, in a table.

The record is shared: every worker's projector skips a stopped projection (only its leader
retries it, now and then), `projections status` and `verify` show it, and the projector that
folds past the event, or a rebuild's switch, removes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Notification

from orderledger.storage.database import Cursor

TABLE = "orderledger_projection_failures"
CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    projection TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    event TEXT NOT NULL,
    error TEXT NOT NULL,
    failed_at TEXT NOT NULL
)"""


@dataclass(frozen=True)
class Failure:
    projection: str  # its tracking name
    position: int  # the notification it cannot fold; it holds every event before it
    event: str
    error: str
    failed_at: str

    def __str__(self) -> str:
        return (
            f"{self.projection} stopped at event {self.position} ({self.event}) "
            f"since {self.failed_at}: {self.error}"
        )


@dataclass(frozen=True)
class Unreadable:
    """A stored event that could not be made into its class: folding it fails."""

    kind: type[Any]
    notification: Notification
    error: Exception


def describe_event(event: Any) -> str:
    if isinstance(event, Unreadable):
        n = event.notification
        return f"{n.topic} of {n.originator_id} version {n.originator_version}, unreadable"
    return f"{type(event).__qualname__} of {event.originator_id} version {event.originator_version}"


def describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def new_failure(projection: str, position: int, event: Any, error: BaseException) -> Failure:
    at = datetime.now(UTC).isoformat(timespec="seconds")
    return Failure(projection, position, describe_event(event), describe_error(error), at)


def record(cursor: Cursor, failure: Failure) -> None:
    """Record the failure; a retry that fails the same way keeps the time it first stopped."""
    cursor.execute(
        f"INSERT INTO {TABLE} (projection, position, event, error, failed_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (projection) DO UPDATE SET "
        "position = excluded.position, event = excluded.event, error = excluded.error, "
        f"failed_at = CASE WHEN {TABLE}.position = excluded.position "
        f"AND {TABLE}.error = excluded.error THEN {TABLE}.failed_at ELSE excluded.failed_at END",
        (failure.projection, failure.position, failure.event, failure.error, failure.failed_at),
    )


def clear(cursor: Cursor, projections: Sequence[str]) -> None:
    if projections:
        cursor.executemany(
            f"DELETE FROM {TABLE} WHERE projection = %s", [(p,) for p in projections]
        )


def read(cursor: Cursor, projections: Sequence[str]) -> dict[str, Failure]:
    marks = ", ".join(["%s"] * len(projections))
    cursor.execute(
        f"SELECT projection, position, event, error, failed_at FROM {TABLE} "
        f"WHERE projection IN ({marks})",
        list(projections),
    )
    return {
        str(row[0]): Failure(str(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]))
        for row in cursor.fetchall()
    }
