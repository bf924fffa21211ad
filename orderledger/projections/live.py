"""Keeps the read models current while the server runs.

Every server worker starts one of these; exactly one leads at a time (a PostgreSQL advisory
lock, or a file lock for SQLite), the others wait to take over if the leader goes away.
The leader wakes on the event store's NOTIFY, or polls SQLite.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Protocol

import psycopg
from psycopg import sql

from orderledger.projections.runner import ConcurrentProjection, Projector
from orderledger.storage.locks import PROJECTOR_LOCK, FileLock, PostgresSessionLock
from orderledger.storage.settings import one_line

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "orderledger_events"
# After a failure the projector cannot isolate (a lost database, say): a pause that doubles
# up to this while it lasts, so a lasting fault is neither a hot loop nor a flood of logs.
LONGEST_PAUSE = 30.0


class Leadership(Protocol):
    def acquire(self) -> bool: ...

    def wait_for_events(self, timeout: float) -> None: ...

    def release(self) -> None: ...


class PostgresLeadership(PostgresSessionLock):
    """The advisory lock's connection also LISTENs for new events."""

    def __init__(self, conninfo: str, channel: str = EVENTS_CHANNEL) -> None:
        super().__init__(conninfo, PROJECTOR_LOCK, "projector")
        self.channel = channel  # the event store's NOTIFY channel (its events table's name)

    def taken(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))

    def wait_for_events(self, timeout: float) -> None:
        if self.conn is None:
            return
        try:
            for _ in self.conn.notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.Error as error:  # a restart or a terminated backend: the lock went too
            log.warning("lost the projector connection: %s", one_line(error))
            self.release()


class FileLeadership(FileLock):
    """The file lock beside the SQLite store; polls for new events."""

    def __init__(self, path: Path, poll: float = 0.02) -> None:
        super().__init__(path)
        self.poll = poll
        self.stop = threading.Event()

    def wait_for_events(self, timeout: float) -> None:
        self.stop.wait(min(timeout, self.poll))


class LiveProjection:
    def __init__(self, projector: Projector, leadership: Leadership) -> None:
        self.projector = projector
        self.leadership = leadership
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="orderledger-projector", daemon=True)
        self.pause = 0.0
        self.last_error = ""

    def start(self) -> None:
        self.thread.start()

    def run(self) -> None:
        while not self.stopping.is_set():
            if not self.leadership.acquire():
                self.stopping.wait(1.0)
                continue
            try:
                self.projector.catch_up(should_stop=self.stopping.is_set)
            except ConcurrentProjection:
                continue  # a rebuild or another runner moved first; read positions again
            except Exception as error:
                # A fold that fails stops only its projection, in the projector; what reaches
                # here stops them all (the database, most likely): logged once, retried calmly.
                self.failed(error)
                continue
            self.pause, self.last_error = 0.0, ""
            self.leadership.wait_for_events(0.5)

    def failed(self, error: Exception) -> None:
        described = f"{type(error).__name__}: {error}"
        if described != self.last_error:
            log.exception("the projector failed; it tries again, less often while this lasts")
            self.last_error = described
        self.pause = min(max(self.pause * 2, 1.0), LONGEST_PAUSE)
        self.stopping.wait(self.pause)

    def stop(self) -> None:
        self.stopping.set()
        if isinstance(self.leadership, FileLeadership):
            self.leadership.stop.set()
        self.thread.join(timeout=5)
        self.leadership.release()
