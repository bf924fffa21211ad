"""One rebuild at a time: a second one would fold into the first's tables and positions, and
die when the first switched them away. The lock dies with its process (a session advisory lock
on PostgreSQL, a file lock beside the SQLite store), so a killed rebuild never blocks the next.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

import psycopg

from orderledger.storage.database import Database, PostgresDatabase, SQLiteDatabase

# Apart from the schema (…001), projector (…002) and switch (…003) keys; the account locks use
# the two-key form, a space of its own.
REBUILD_LOCK = 7_316_244_004
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


class Lock(Protocol):
    def acquire(self) -> None: ...

    def release(self) -> None: ...


class PostgresRebuildLock:
    """Held on a connection of its own, named after its holder for the refused one to read."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None

    def acquire(self) -> None:
        conn = psycopg.connect(self.conninfo, autocommit=True)
        try:
            conn.execute(
                "SELECT set_config('application_name', %s, false)", (HOLDER_PREFIX + holder(),)
            )
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (REBUILD_LOCK,)).fetchone()
            if not (row and row[0]):
                raise RebuildRunning(self.holder(conn))
        except BaseException:
            conn.close()
            raise
        self.conn = conn

    @staticmethod
    def holder(conn: psycopg.Connection[tuple[object, ...]]) -> str:
        row = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = %s AND l.objid::bigint = %s "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (REBUILD_LOCK >> 32, REBUILD_LOCK & 0xFFFF_FFFF),
        ).fetchone()
        return str(row[0]).removeprefix(HOLDER_PREFIX) if row else ""

    def release(self) -> None:
        if self.conn is not None:
            # Unlocked at once: a closed session's lock goes only when its backend has ended,
            # a moment later, and the next rebuild would be refused meanwhile.
            with contextlib.suppress(psycopg.Error):
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (REBUILD_LOCK,))
            with contextlib.suppress(psycopg.Error):
                self.conn.close()  # a lock not unlocked goes with the session
        self.conn = None


class FileRebuildLock:
    """An exclusive lock on a file beside the SQLite store, which names its holder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            held_by = handle.read().strip()
            handle.close()
            raise RebuildRunning(held_by) from None
        handle.seek(0)
        handle.truncate()
        handle.write(holder())
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            self.handle.seek(0)
            self.handle.truncate()
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
        self.handle = None


def rebuild_lock(db: Database) -> Lock:
    if isinstance(db, PostgresDatabase):
        conninfo = db.pool.conninfo
        return PostgresRebuildLock(conninfo if isinstance(conninfo, str) else conninfo())
    if isinstance(db, SQLiteDatabase):
        return FileRebuildLock(db.path.with_name("rebuild.lock"))
    raise TypeError(f"no rebuild lock for {type(db).__name__}")


@contextmanager
def only_rebuild(db: Database) -> Iterator[None]:
    """Hold the rebuild lock meanwhile; RebuildRunning if another process (or thread) has it."""
    lock = rebuild_lock(db)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()
