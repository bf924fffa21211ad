"""A thread that works while it leads: the live projector's loop and the forwarder's.

Before each round it takes (or keeps) its lock, which one process holds at a time across
every server (storage/leadership.py, storage/locks.py); the others try again every second, to
take over when the leader goes. A round that fails (the database away, say) is logged once,
with its traceback, and tried again after a pause that doubles up to `LONGEST_PAUSE` while
the failure lasts: a lasting fault is neither a hot loop nor a flood of logs.
"""

from __future__ import annotations

import enum
import logging
import threading
from typing import Protocol

log = logging.getLogger(__name__)

LONGEST_PAUSE = 30.0
OTHERS_WAIT_SECONDS = 1.0  # how often one that does not lead tries the lock again


class Lock(Protocol):
    def acquire(self) -> bool: ...

    def release(self) -> None: ...


class Round(enum.Enum):
    DONE = "done"  # nothing more to do for now: rest before the next
    MORE = "more"  # more waits: the next round at once
    AGAIN = "again"  # it could not run (another moved first): at once, no recovery to log


class LeaderLoop:
    what = "the loop"  # as the logs name it
    join_seconds = 5.0  # how long `stop` waits for a round to end

    def __init__(self, lock: Lock, thread_name: str) -> None:
        self.leadership = lock
        self.stopping = threading.Event()
        self.pause = 0.0
        self.last_error = ""
        self.thread = threading.Thread(target=self.run, name=thread_name, daemon=True)

    def work(self) -> Round:
        raise NotImplementedError

    def rest(self) -> None:
        """Between a round that found nothing more to do and the next."""

    def wake(self) -> None:
        """End a rest early: the loop is stopping."""

    def start(self) -> None:
        self.thread.start()

    def run(self) -> None:
        while not self.stopping.is_set():
            if not self.leadership.acquire():
                self.stopping.wait(OTHERS_WAIT_SECONDS)
                continue
            try:
                done = self.work()
            except Exception as error:
                self.failed(error)
                continue
            if done is Round.AGAIN:
                continue
            if self.last_error:
                log.info("%s works again", self.what)
            self.pause, self.last_error = 0.0, ""
            if done is Round.DONE:
                self.rest()

    def failed(self, error: Exception) -> None:
        described = f"{type(error).__name__}: {error}"
        if described != self.last_error:
            log.exception("%s failed; it tries again, less often while this lasts", self.what)
            self.last_error = described
        self.pause = min(max(self.pause * 2, 1.0), LONGEST_PAUSE)
        self.stopping.wait(self.pause)

    def stop(self) -> None:
        self.stopping.set()
        self.wake()
        self.thread.join(timeout=self.join_seconds)
        self.leadership.release()
