"""The overview's figures, kept a moment in each worker."""

from __future__ import annotations

from datetime import datetime, timedelta

import anyio

from orderledger.views.overview import Overview as Figures
from orderledger.views.overview import overview
from orderledger.views.reads import ReadModels

FRESH = timedelta(seconds=15)


class Recent:
    """The overview's figures, read at most once per FRESH in a worker: on a million orders
    they cost seconds of the database's time (every order of the last 30 days is read; see
    views/overview.py), and staff leave the page open and reload it. The page says when its
    figures were read."""

    def __init__(self, fresh: timedelta = FRESH) -> None:
        self.fresh = fresh
        self.figures: Figures | None = None
        self.lock = anyio.Lock()

    async def at(self, reads: ReadModels, now: datetime) -> Figures:
        async with self.lock:  # one reading at a time; the others wait and share it
            kept = self.figures
            if kept is None or not kept.now <= now < kept.now + self.fresh:
                self.figures = kept = await overview(reads, now)
            return kept
