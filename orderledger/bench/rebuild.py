"""A full rebuild of every projection, timed.

Replays the whole event log through the same projector into fresh tables beside the live
ones (`<table>_bench`, tracked as `<name>:bench`), so the live read models are untouched.
"""

from __future__ import annotations

import time

from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.runner import Projector
from orderledger.projections.tables import Target
from orderledger.storage.store import Store


def bench_targets() -> list[Target]:
    return [Target(p, p.table + "_bench", p.name + ":bench") for p in PROJECTIONS]


def rebuild_everything(store: Store) -> int:
    """Fold every event into fresh tables; return how many events were read.

    Until `orderledger projections rebuild` (issue 4) is on this branch, the live projector's
    code replays into `*_bench` tables. To measure that command instead, this body becomes
    `rebuild(store.ledger, store.db, PROJECTIONS, progress=counter)` from
    `orderledger.projections.rebuild`, returning what the counter saw.
    """
    projector = Projector(store.ledger, store.db, bench_targets())
    projector.ensure()
    return projector.catch_up()


def rebuild_events_per_s(store: Store) -> float:
    began = time.perf_counter()
    events = rebuild_everything(store)
    seconds = time.perf_counter() - began
    if not events:
        raise RuntimeError("the event log is empty: nothing to rebuild")
    return events / seconds
