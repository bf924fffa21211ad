"""One rebuild at a time: a second one would fold into the first's tables and positions, and
die when the first switched them away. The lock dies with its process (a session advisory lock
on PostgreSQL, a file lock beside the SQLite store), so a killed rebuild never blocks the next.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from orderledger.storage.database import Database
from orderledger.storage.locks import REBUILD_LOCK, SessionLock

HOLDER_PREFIX = "orderledger rebuild: "


class RebuildRunning(RuntimeError):
    def __init__(self, holder: str) -> None:
        about = f" ({holder})" if holder else ""
        super().__init__(
            f"another rebuild is running{about}; wait for it to finish, or stop it and run "
            "this again to resume"
        )


def holder() -> str:
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"pid {os.getpid()}, started {started}"


def rebuild_lock(db: Database) -> SessionLock:
    return db.backend.session_lock("rebuild", REBUILD_LOCK, holder=HOLDER_PREFIX + holder())


@contextmanager
def only_rebuild(db: Database) -> Iterator[None]:
    """Hold the rebuild lock meanwhile; RebuildRunning if another process (or thread) has it."""
    lock = rebuild_lock(db)
    try:
        if not lock.take():
            raise RebuildRunning(lock.holder().removeprefix(HOLDER_PREFIX))
        yield
    finally:
        lock.release()
