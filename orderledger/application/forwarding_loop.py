"""The forwarder's loop: one leads at a time across every process and server (a PostgreSQL
advisory lock, or a file lock beside the SQLite store), on a lock of its own.

The leader runs `Forwarder.round` again and again: at once while orders wait, else after
`IDLE_SECONDS`. A round can be stopped between any two orders. A failure (the database away,
say) is logged once and retried calmly, as the projector does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from orderledger.application.forwarder import PER_ROUND, Forwarder
from orderledger.storage.database import Database
from orderledger.storage.locks import FORWARDER_LOCK, SessionLock

log = logging.getLogger(__name__)

IDLE_SECONDS = 0.5
LONGEST_PAUSE = 30.0


def leadership(db: Database, holder: str = "") -> SessionLock:
    return db.backend.session_lock("forwarder", FORWARDER_LOCK, holder)


class ForwardingLoop:
    def __init__(
        self,
        forwarder: Forwarder,
        lock: SessionLock,
        idle: float = IDLE_SECONDS,
        after_round: Callable[[], object] = lambda: None,
    ) -> None:
        self.forwarder = forwarder
        self.leadership = lock
        self.idle = idle
        self.after_round = after_round  # the process's metrics, say
        self.stopping = threading.Event()
        forwarder.should_stop = self.stopping.is_set
        self.pause = 0.0
        self.last_error = ""
        self.thread = threading.Thread(target=self.run, name="orderledger-forwarder", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def run(self) -> None:
        while not self.stopping.is_set():
            if not self.leadership.acquire():
                self.stopping.wait(1.0)
                continue
            try:
                sent = self.forwarder.round()
                self.after_round()
            except Exception as error:
                self.failed(error)
                continue
            if self.last_error:
                log.info("the forwarder works again")
            self.pause, self.last_error = 0.0, ""
            if sent < PER_ROUND:
                self.stopping.wait(self.idle)

    def failed(self, error: Exception) -> None:
        described = f"{type(error).__name__}: {error}"
        if described != self.last_error:
            log.exception("the forwarder failed; it tries again, less often while this lasts")
            self.last_error = described
        self.pause = min(max(self.pause * 2, 1.0), LONGEST_PAUSE)
        self.stopping.wait(self.pause)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=60)
        self.leadership.release()
