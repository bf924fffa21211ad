"""What an operator watches, read at the moment it is asked: where each read model stands
against the head of the event log, and the work waiting in the queue.

`/readyz` and `/metrics` read these through the worker's async reads, never on the way to an
answer of the API; nothing here is kept between calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orderledger.projections.failures import TABLE as FAILURES
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.work_queue import ORDER, REFILL, WORK_QUEUE, micros
from orderledger.views.reads import ReadModels

NAMES = tuple(p.name for p in PROJECTIONS)
POSITIONS_SQL = (
    "SELECT projection, position FROM orderledger_tracking "
    f"WHERE projection IN ({', '.join(['%s'] * len(NAMES))})"
)
STOPPED_SQL = f"SELECT projection, position, event, error FROM {FAILURES}"
# Per kind of work: claimable now (as `views.work_queue.claimable` finds it, expired claims
# included), claims whose holder went silent (as `expired_claims`), and claims still held.
QUEUE_SQL = (
    "SELECT kind, "
    "count(*) FILTER (WHERE claim_expires_at <= %s AND due_at <= %s), "
    "count(*) FILTER (WHERE claimed_by <> '' AND claim_expires_at <= %s), "
    "count(*) FILTER (WHERE claimed_by <> '' AND claim_expires_at > %s) "
    f"FROM {WORK_QUEUE.table} GROUP BY kind"
)


@dataclass(frozen=True)
class Standing:
    """Each live read model's position, the log's head, and the projections stopped by an
    event they cannot fold (name: what stopped it)."""

    head: int
    positions: dict[str, int]
    stopped: dict[str, str]

    def lag(self, projection: str) -> int:
        """How many events the read model has not folded yet."""
        return max(self.head - self.positions.get(projection, 0), 0)


@dataclass(frozen=True)
class QueueDepth:
    kind: str  # order or refill
    claimable: int
    expired: int
    held: int


async def standing(reads: ReadModels) -> Standing:
    """The positions first, then the head: a lag read here is never less than the real one."""
    positions = {
        str(name): int(position) for name, position in await reads.query(POSITIONS_SQL, NAMES)
    }
    stopped = {
        str(name): f"stopped at event {position} ({event}): {error}"
        for name, position, event, error in await reads.query(STOPPED_SQL, ())
    }
    events = reads.events
    rows = await events.query(f"SELECT max({events.number}) FROM {events.table}", ())
    head = int(rows[0][0] or 0) if rows else 0
    return Standing(head, positions, stopped)


async def queue_depths(reads: ReadModels, now: datetime) -> list[QueueDepth]:
    """The work queue by kind, orders then refills (one scan of the queue, which holds only
    unfinished work)."""
    at = micros(now)
    rows = await reads.query(QUEUE_SQL, (at, at, at, at))
    found = {str(kind): QueueDepth(str(kind), int(c), int(e), int(h)) for kind, c, e, h in rows}
    return [found.get(kind, QueueDepth(kind, 0, 0, 0)) for kind in (ORDER, REFILL)]
