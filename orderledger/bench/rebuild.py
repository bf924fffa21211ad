"""A full rebuild of every projection, timed: `orderledger projections rebuild` itself.

The rebuild folds the whole event log into tables beside the live ones and switches them in;
it runs after the server has stopped, so nothing else writes meanwhile. The figure counts
the events of the log read, over the whole rebuild including its switch.
"""

from __future__ import annotations

import time

from orderledger.bootstrap import Store
from orderledger.projections.rebuild import rebuild
from orderledger.projections.registry import PROJECTIONS


def rebuild_everything(store: Store) -> int:
    """Rebuild every projection from the first event; return how many events were read."""
    read: list[int] = []
    if not rebuild(store.ledger, store.db, PROJECTIONS, progress=read.append):
        raise RuntimeError("the rebuild stopped before its switch")
    return sum(read)


def rebuild_events_per_s(store: Store) -> float:
    began = time.perf_counter()
    events = rebuild_everything(store)
    seconds = time.perf_counter() - began
    if not events:
        raise RuntimeError("the event log is empty: nothing to rebuild")
    return events / seconds
