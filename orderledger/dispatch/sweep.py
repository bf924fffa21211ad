"""The server's sweep: expired claims go back to the queue and expired subscriptions end,
whether or not a bot asks for work.

Every server worker starts one; one leads at a time across workers and servers (a PostgreSQL
advisory lock, or a file lock beside the SQLite store), like the live projector but on a lock
of its own, so either can lead in a different process. The leader sweeps when it takes the
lead (a claim that ran out while no server was up is released at once) and every
`SWEEP_EVERY` seconds after.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import psycopg

from orderledger.dispatch.work import Dispatcher
from orderledger.projections.live import FileLeadership
from orderledger.storage.store import Store

log = logging.getLogger(__name__)

# Apart from the schema (…001), projector (…002), rebuild-switch (…003) and rebuild (…004)
# keys; the account locks take two int4 keys, a key space of their own.
SWEEP_LOCK = 7_316_244_020
SWEEP_EVERY = 5.0  # seconds: how long at most an expired claim still shows Processing


class SweepLeadership(Protocol):
    def acquire(self) -> bool: ...

    def release(self) -> None: ...


class PostgresSweepLock:
    """The advisory lock, held on a connection of its own; a lost connection loses it."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None
        self.leading = False
        self.unavailable = False  # said once, not every round while the database is away

    def acquire(self) -> bool:
        try:
            if self.conn is None:
                self.conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
            if self.leading:
                self.conn.execute("SELECT 1")  # still ours: the lock lives as long as this
            else:
                row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (SWEEP_LOCK,)).fetchone()
                self.leading = bool(row and row[0])
            self.unavailable = False
            return self.leading
        except psycopg.Error as error:
            if not self.unavailable:
                log.warning("sweep lock unavailable: %s", error)
            self.unavailable = True
        self.release()
        return False

    def release(self) -> None:
        if self.conn is not None:
            if self.leading:
                # Unlocked at once: a closed session's locks go only when its backend has
                # ended, a moment later, and another worker would find the lead still taken.
                with contextlib.suppress(psycopg.Error):
                    self.conn.execute("SELECT pg_advisory_unlock(%s)", (SWEEP_LOCK,))
            with contextlib.suppress(psycopg.Error):
                self.conn.close()  # a lock not unlocked goes with the session
        self.leading = False
        self.conn = None


def leadership(store: Store) -> SweepLeadership:
    if store.settings.postgres is None:
        return FileLeadership(store.settings.data_dir / "sweep.lock")
    return PostgresSweepLock(store.settings.postgres.conninfo())


class Sweeper:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        every: float | None = None,
    ) -> None:
        self.dispatcher = Dispatcher(store.ledger, store.db)
        self.leadership = leadership(store)
        self.clock = clock
        self.every = SWEEP_EVERY if every is None else every
        self.stopping = threading.Event()
        self.failing = False
        self.thread = threading.Thread(target=self.run, name="orderledger-sweep", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def run(self) -> None:
        while not self.stopping.is_set():
            if self.leadership.acquire():
                self.sweep_once()
            self.stopping.wait(self.every)

    def sweep_once(self) -> None:
        try:
            self.dispatcher.sweep(self.clock())
        except Exception:
            # The database may be away for a while: one traceback, then quiet until it works.
            if not self.failing:
                log.exception("sweep failed; retrying every %s s", self.every)
            self.failing = True
            return
        if self.failing:
            log.info("sweep works again")
        self.failing = False

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        self.leadership.release()
