"""The live projector's leadership: the lock of the one that leads, and how it waits for new
events (PostgreSQL's NOTIFY on the lock's own connection, or a poll beside SQLite's file)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import psycopg
from psycopg import sql

from orderledger.storage.locks import PROJECTOR_LOCK, FileLock, PostgresSessionLock
from orderledger.storage.settings import one_line

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "orderledger_events"
# How soon an interrupted wait for a notification ends: a stopping projector waited out the
# whole wait before (half a second at every stop of a worker, or of a test's app).
INTERRUPT_SECONDS = 0.05


class PostgresLeadership(PostgresSessionLock):
    """The advisory lock's connection also LISTENs for new events."""

    def __init__(self, conninfo: str, channel: str = EVENTS_CHANNEL) -> None:
        super().__init__(conninfo, PROJECTOR_LOCK, "projector")
        self.channel = channel  # the event store's NOTIFY channel (its events table's name)
        self.interrupted = threading.Event()

    def taken(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))

    def wait_for_events(self, timeout: float) -> None:
        """Until a notification comes, `timeout` runs out or `interrupt` is called: the wait
        is cut into slices of INTERRUPT_SECONDS, as nothing else can end a wait on the
        connection's socket."""
        deadline = time.monotonic() + timeout
        while self.conn is not None and not self.interrupted.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            heard = False
            try:
                for _ in self.conn.notifies(timeout=min(left, INTERRUPT_SECONDS), stop_after=1):
                    heard = True
            except psycopg.Error as error:  # a restart or a terminated backend: the lock too
                log.warning("lost the projector connection: %s", one_line(error))
                self.release()
                return
            if heard:
                return

    def interrupt(self) -> None:
        """End a wait (the projector is stopping) within INTERRUPT_SECONDS."""
        self.interrupted.set()


class FileLeadership(FileLock):
    """The file lock beside the SQLite store; polls for new events."""

    def __init__(self, path: Path, poll: float = 0.02) -> None:
        super().__init__(path)
        self.poll = poll
        self.stop = threading.Event()

    def wait_for_events(self, timeout: float) -> None:
        self.stop.wait(min(timeout, self.poll))

    def interrupt(self) -> None:
        self.stop.set()
