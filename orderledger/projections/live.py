"""Keeps the read models current while the server runs.

`orderledger serve` runs one in a process of its own (cli/projector.py); a worker started any
other way runs one as a thread. Exactly one leads at a time (a PostgreSQL advisory lock, or a
file lock for SQLite: storage/leadership.py), the others wait to take over if the leader goes
away. The leader wakes on the event store's NOTIFY, or polls SQLite.
"""

from __future__ import annotations

from orderledger.projections.runner import ConcurrentProjection, Projector
from orderledger.storage.backend import Leadership
from orderledger.storage.leader_loop import LeaderLoop, Round


class LiveProjection(LeaderLoop):
    """A failure the projector cannot isolate to one projection (a lost database, say)
    reaches the loop, which stops them all until it passes (storage/leader_loop.py); a fold
    that fails stops only its projection, in the projector."""

    what = "the projector"

    def __init__(self, projector: Projector, leadership: Leadership) -> None:
        super().__init__(leadership, "orderledger-projector")
        self.projector = projector
        self.waiting: Leadership = leadership

    def work(self) -> Round:
        try:
            self.projector.catch_up(should_stop=self.stopping.is_set)
        except ConcurrentProjection:
            return Round.AGAIN  # a rebuild or another runner moved first: read positions again
        return Round.DONE

    def rest(self) -> None:
        self.waiting.wait_for_events(0.5)

    def wake(self) -> None:
        self.waiting.interrupt()
