"""The forwarder's loop: one leads at a time across every process and server (a PostgreSQL
advisory lock, or a file lock beside the SQLite store), on a lock of its own.

The leader runs `Forwarder.round` again and again: at once while orders wait, else after
`IDLE_SECONDS`. A round can be stopped between any two orders. A failure (the database away,
say) is logged once and retried calmly, as the projector does.
"""

from __future__ import annotations

from collections.abc import Callable

from orderledger.application.forwarder import PER_ROUND, Forwarder
from orderledger.storage.database import Database
from orderledger.storage.leader_loop import LeaderLoop, Round
from orderledger.storage.locks import FORWARDER_LOCK, SessionLock

IDLE_SECONDS = 0.5


def leadership(db: Database, holder: str = "") -> SessionLock:
    return db.backend.session_lock("forwarder", FORWARDER_LOCK, holder)


class ForwardingLoop(LeaderLoop):
    what = "the forwarder"
    join_seconds = 60.0  # a round ends between two orders, but a send may take its timeout

    def __init__(
        self,
        forwarder: Forwarder,
        lock: SessionLock,
        idle: float = IDLE_SECONDS,
        after_round: Callable[[], object] = lambda: None,
    ) -> None:
        super().__init__(lock, "orderledger-forwarder")
        self.forwarder = forwarder
        self.idle = idle
        self.after_round = after_round  # the process's metrics, say
        forwarder.should_stop = self.stopping.is_set

    def work(self) -> Round:
        sent = self.forwarder.round()
        self.after_round()
        return Round.MORE if sent >= PER_ROUND else Round.DONE

    def rest(self) -> None:
        self.stopping.wait(self.idle)
