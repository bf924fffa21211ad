"""The scan ceiling: events per second of reading the whole event log once and decoding each.

It reads the store the rebuild then reads, with the rebuild's own reader and page size (the
recorder's `select_notifications`, `REBUILD_PAGE_SIZE` events a page, after the server has
stopped) and turns every event into its domain event with the ledger's mapper (our
transcoder): no folding, no rows written, no commit. A rebuild has to do at least this much,
so `rebuild_ratio` = `rebuild_events_per_s` ÷ this is at most about 1. (The rebuild decodes
only the events some projection folds; this decodes every one, as the rebuild counts every
one it reads.) It runs with Python's cycle collector paused, as the rebuild does
(`cycles_left_for_later`): else it would count collections the rebuild no longer pays for.
"""

from __future__ import annotations

import time

from orderledger.bootstrap import Store
from orderledger.projections.pages import cycles_left_for_later
from orderledger.projections.rebuild import REBUILD_PAGE_SIZE


def scan(store: Store, page_size: int = REBUILD_PAGE_SIZE) -> int:
    """Read and decode every event of the log; return how many there were."""
    recorder = store.ledger.recorder
    to_event = store.ledger.mapper.to_domain_event
    position = 0
    count = 0
    with cycles_left_for_later():
        while True:
            page = recorder.select_notifications(
                start=position, limit=page_size, inclusive_of_start=False
            )
            if not page:
                return count
            for notification in page:
                to_event(notification)
            count += len(page)
            position = page[-1].id


def events_per_s(store: Store) -> float:
    began = time.perf_counter()
    events = scan(store)
    seconds = time.perf_counter() - began
    if not events:
        raise RuntimeError("the event log is empty: nothing to scan")
    return events / seconds
