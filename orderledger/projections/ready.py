"""A worker takes traffic only once the read models hold every event committed before it
started, whichever runner folds them (its own projector, or the leader of another)."""

from __future__ import annotations

import logging

from orderledger.projections.runner import ConcurrentProjection, Projector

log = logging.getLogger(__name__)


def catch_up_before_serving(projector: Projector) -> None:
    head = projector.head()
    positions = projector.positions()
    while min(positions.values()) < head:
        try:
            projector.catch_up()
        except ConcurrentProjection:
            pass  # another runner moved first: it is doing the work
        except Exception:
            # The live projector logs and retries it; reads go past a lag meanwhile.
            log.exception("could not bring the read models up to date before serving")
            return
        before, positions = positions, projector.positions()
        if positions == before:
            log.warning("the read models are behind the events and did not move; serving")
            return
