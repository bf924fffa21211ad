"""Locks that one process holds at a time, and every PostgreSQL advisory-lock key in one place.

A session lock dies with its holder (a session advisory lock on PostgreSQL, a file lock beside
the SQLite store), so a killed holder never blocks the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from pathlib import Path
from typing import IO, Protocol

import psycopg
from psycopg.conninfo import make_conninfo

from orderledger.storage.settings import one_line

log = logging.getLogger(__name__)

# The advisory-lock keys, one database-wide namespace: each must differ from every other.
SCHEMA_LOCK = 7_316_244_001  # transaction lock: serialises schema creation of workers starting
PROJECTOR_LOCK = 7_316_244_002  # session lock: the one live projector that leads
SWITCH_LOCK = 7_316_244_003  # transaction lock: two operators' rebuild switches, one at a time
REBUILD_LOCK = 7_316_244_004  # session lock: one rebuild at a time
SWEEP_LOCK = 7_316_244_020  # session lock: the one sweep that leads
FORWARDER_LOCK = 7_316_244_021  # session lock: the one forwarder to upstreams that leads
# The account locks take the two-int4-key form, (ACCOUNT_LOCK_SPACE, account): a key space of
# their own, apart from the one-bigint keys above.
ACCOUNT_LOCK_SPACE = 0x6F6C


class SessionLock(Protocol):
    def take(self) -> bool:
        """True while held; a database error is raised."""
        ...

    def acquire(self) -> bool:
        """True while held; a database error is logged (once while it lasts) and is False."""
        ...

    def holder(self) -> str:
        """What the holder said about itself, when this one was refused ("" if unknown)."""
        ...

    def release(self) -> None: ...


class PostgresSessionLock:
    """The advisory lock, held on a connection of its own; a lost connection loses it."""

    def __init__(self, conninfo: str, key: int, name: str, holder: str = "") -> None:
        self.conninfo = conninfo
        self.key = key
        self.name = name
        self.said = holder  # the holder's application_name, for a refused one to read
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None
        self.leading = False
        self.unavailable = False  # said once, not every round while the database is away

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        conninfo = make_conninfo(self.conninfo, application_name=self.said or None)
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=5)

    def take(self) -> bool:
        if self.conn is None:
            self.conn = self.connect()
        if self.leading:
            self.conn.execute("SELECT 1")  # still ours: the lock lives as long as this
        else:
            row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            self.leading = bool(row and row[0])
            if self.leading:
                self.taken(self.conn)
        return self.leading

    def taken(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        """Called on the lock's connection once the lock is taken."""

    def acquire(self) -> bool:
        try:
            leading = self.take()
            self.unavailable = False
            return leading
        except psycopg.Error as error:
            if not self.unavailable:
                log.warning("%s lock unavailable: %s", self.name, one_line(error))
            self.unavailable = True
        self.release()
        return False

    def holder(self) -> str:
        if self.conn is None:
            return ""
        row = self.conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = %s AND l.objid::bigint = %s "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (self.key >> 32, self.key & 0xFFFF_FFFF),
        ).fetchone()
        return str(row[0]) if row else ""

    def release(self) -> None:
        if self.conn is not None:
            if self.leading:
                # Unlocked at once: a closed session's locks go only when its backend has
                # ended, a moment later, and another process would find the lock still taken.
                with contextlib.suppress(psycopg.Error):
                    self.conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            with contextlib.suppress(psycopg.Error):
                self.conn.close()  # a lock not unlocked goes with the session
        self.leading = False
        self.conn = None


class FileLock:
    """An exclusive lock on a file beside the SQLite store, which names its holder if told."""

    def __init__(self, path: Path, holder: str = "") -> None:
        self.path = path
        self.said = holder
        self.handle: IO[str] | None = None

    def take(self) -> bool:
        if self.handle is not None:
            return True
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        if self.said:
            handle.seek(0)
            handle.truncate()
            handle.write(self.said)
            handle.flush()
        self.handle = handle
        return True

    acquire = take

    def holder(self) -> str:
        try:
            return self.path.read_text().strip()
        except OSError:
            return ""

    def release(self) -> None:
        if self.handle is not None:
            if self.said:
                self.handle.seek(0)
                self.handle.truncate()
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
        self.handle = None
