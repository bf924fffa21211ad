"""The live projector's leadership: the lock of the one that leads, and how it waits for new
events (PostgreSQL's NOTIFY on the lock's own connection, or a poll beside SQLite's file)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import psycopg
from psycopg import sql

from orderledger.storage.locks import PROJECTOR_LOCK, FileLock, PostgresSessionLock
from orderledger.storage.settings import one_line

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "orderledger_events"


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

    def interrupt(self) -> None:
        """Nothing: a wait ends by its timeout, soon enough."""


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
