"""Keeps the read models current while the server runs.

`orderledger serve` runs one in a process of its own (cli/projector.py); a worker started any
other way runs one as a thread. Exactly one leads at a time (a PostgreSQL advisory lock, or a
file lock for SQLite: storage/leadership.py), the others wait to take over if the leader goes
away. The leader wakes on the event store's NOTIFY, or polls SQLite.
"""

from __future__ import annotations

import logging
import threading

from orderledger.projections.runner import ConcurrentProjection, Projector
from orderledger.storage.backend import Leadership

log = logging.getLogger(__name__)

# After a failure the projector cannot isolate (a lost database, say): a pause that doubles
# up to this while it lasts, so a lasting fault is neither a hot loop nor a flood of logs.
LONGEST_PAUSE = 30.0


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
        self.leadership.interrupt()
        self.thread.join(timeout=5)
        self.leadership.release()
