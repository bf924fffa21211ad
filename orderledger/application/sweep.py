"""The server's sweep: expired claims go back to the queue and expired subscriptions end,
whether or not a bot asks for work.

Every server worker starts one; one leads at a time across workers and servers (a PostgreSQL
advisory lock, or a file lock beside the SQLite store), like the live projector but on a lock
of its own, so either can lead in a different process. The leader sweeps when it takes the
lead (a claim that ran out while no server was up is released at once) and every
`SWEEP_EVERY` seconds after.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from orderledger.application.claiming import WorkClaims
from orderledger.application.ledger import Ledger
from orderledger.storage.database import Database
from orderledger.storage.locks import SWEEP_LOCK, SessionLock

log = logging.getLogger(__name__)

SWEEP_EVERY = 5.0  # seconds: how long at most an expired claim still shows Processing


def leadership(db: Database) -> SessionLock:
    return db.backend.session_lock("sweep", SWEEP_LOCK)


class Sweeper:
    def __init__(
        self,
        ledger: Ledger,
        db: Database,
        clock: Callable[[], datetime],
        every: float | None = None,
        lock: SessionLock | None = None,
    ) -> None:
        self.work_claims = WorkClaims(ledger, db)
        self.leadership = leadership(db) if lock is None else lock
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
            self.work_claims.sweep(self.clock())
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
