"""`status_latency_growth`: single `status` served from the smaller and the full store in turn.

The run keeps two stores in two fresh databases: the smaller (`--base-orders`, 10,000 orders)
and the full one (`--orders`, 100,000), each filled through the ledger and projected by its
own server, then `VACUUM ANALYZE`d, and a `CHECKPOINT` writes out what the loads left dirty
(else the checkpoint that follows a bulk load, on its own timer, lands in whichever round is
running then). The growth is then measured in three rounds, after one warm-up round measured
the same way and not counted (the first server on the smaller store after the loads, whose
pages the full store's load pushed out of the caches, ran slow in some runs); each round
starts `orderledger serve` on the smaller store, drives single `status` for half a scenario's
duration (after the usual warm-up), stops it, and does the same on the full store right after.
The figure is the median over the rounds of (the full store's p50 ÷ the smaller store's), so
each ratio compares two measurements seconds apart rather than a minute apart, and one round
disturbed by the machine's other work does not decide it.

Why restart the server for each store rather than run two side by side: two servers of two
workers would hold twice the PostgreSQL connections (on a server shared with other work, and
with 100 by default), and the idle one would still wake for its sweeps. Both stores pay the same
start-up and warm-up, and PostgreSQL's caches are shared by both databases, so the only
difference left between the two halves of a round is the size of the store.
"""

from __future__ import annotations

from collections.abc import Callable

ROUNDS = 3
WARMUP_ROUNDS = 1
ROUND_SHARE = 0.5  # of a scenario's measured duration


def alternate(
    base: Callable[[], float],
    full: Callable[[], float],
    rounds: int = ROUNDS,
    warmup: int = WARMUP_ROUNDS,
) -> list[tuple[float, float]]:
    """Each counted round's (smaller store's p50, full store's p50), measured in that order,
    after `warmup` rounds that are measured alike and left out."""
    measured = []
    for round_number in range(warmup + rounds):
        smaller = base()
        larger = full()
        if round_number >= warmup:
            measured.append((smaller, larger))
    return measured
