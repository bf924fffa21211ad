"""How much of each connection pool of a worker is in use, for /metrics.

psycopg_pool keeps these figures itself (`get_stats()`); a backend without pools (SQLite:
a connection per thread) has none to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import ApplicationRecorder

from orderledger.storage.backend import Query
from orderledger.storage.database import Database


@dataclass(frozen=True)
class PoolUse:
    size: int  # connections open now
    max_size: int
    available: int  # open and idle
    waiting: int  # requests waiting for a connection


def use_of(pool: Any) -> PoolUse | None:
    stats = getattr(pool, "get_stats", None)
    if stats is None:
        return None
    figures: dict[str, int] = stats()
    return PoolUse(
        size=figures.get("pool_size", 0),
        max_size=figures.get("pool_max", 0),
        available=figures.get("pool_available", 0),
        waiting=figures.get("requests_waiting", 0),
    )


def pools_in_use(reads: Query, db: Database, recorder: ApplicationRecorder) -> dict[str, PoolUse]:
    """The worker's pools by what they serve: `reads` (the API's queries), `commands`
    (orderledger's own tables) and `events` (the event store's recorder)."""
    holders = {
        "reads": reads,
        "commands": db,
        "events": getattr(recorder, "datastore", None),
    }
    found = {name: use_of(getattr(holder, "pool", None)) for name, holder in holders.items()}
    return {name: use for name, use in found.items() if use is not None}
