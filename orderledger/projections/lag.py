"""Where each read model stands against the head of the event log."""

from __future__ import annotations

from dataclasses import dataclass

from orderledger.projections import failures
from orderledger.projections.failures import Failure
from orderledger.projections.rebuild import rebuild_target
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.runner import read_positions
from orderledger.projections.source import Source
from orderledger.storage.database import Database


@dataclass(frozen=True)
class ProjectionLag:
    """How far one read model is behind the event log: its position against the head."""

    name: str
    table: str
    position: int
    head: int
    rebuild_position: int | None  # a rebuild in progress (or interrupted), if any
    failure: Failure | None = None  # stopped by an event it cannot fold

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


def projection_lags(ledger: Source, db: Database) -> list[ProjectionLag]:
    """Every read model's lag (`orderledger projections status` prints them)."""
    names = [p.name for p in PROJECTIONS] + [rebuild_target(p).tracking for p in PROJECTIONS]
    with db.transaction() as cursor:
        positions = read_positions(cursor, names)
        stopped = failures.read(cursor, [p.name for p in PROJECTIONS])
    head = int(ledger.recorder.max_notification_id() or 0)
    return [
        ProjectionLag(
            name=p.name,
            table=p.table,
            position=positions.get(p.name, 0),
            head=head,
            rebuild_position=positions.get(rebuild_target(p).tracking),
            failure=stopped.get(p.name),
        )
        for p in PROJECTIONS
    ]
