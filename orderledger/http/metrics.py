"""`/metrics`: the Prometheus text format, from every worker of the server.

What each request changes (its count, its latency, an `add` batch's size, a worker's pools)
is kept by `prometheus_client` in this process; with several workers, `orderledger serve`
gives them a fresh directory of their own (PROMETHEUS_MULTIPROC_DIR) where each keeps its
figures in memory-mapped files, and the worker that is scraped adds up everyone's. What is
the store's rather than a worker's (read-model positions and lag, the events recorded, the
work queue) is read from the database by the worker that is scraped, at that moment.

The mode is the library's own, chosen when it is first imported: serve sets the directory
before any worker imports it (cli/serve.py).
"""

from __future__ import annotations

import contextlib
import glob
import os
from bisect import bisect_left
from collections.abc import Iterable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from orderledger.http.server import MULTIPROC_DIR, process_alive
from orderledger.storage.pool_use import PoolUse
from orderledger.views.standing import QueueDepth, Standing

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def multiprocess_mode() -> bool:
    """Whether this process keeps its figures in the shared directory's files."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


PID = [os.getpid()]
os.register_at_fork(after_in_child=lambda: PID.__setitem__(0, os.getpid()))
if multiprocess_mode():
    # The library's own multi-process values, told this process's id as it is kept here:
    # by default every change of a figure asks the kernel (a system call each, three per
    # request, which cost more than the rest of the bookkeeping together).
    values.ValueClass = values.MultiProcessValue(process_identifier=lambda: PID[0])  # type: ignore[no-untyped-call]

# Requests take 1-10 ms when all is well; a command waiting for the database, seconds.
LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 200)

# Made once per process and registered nowhere: each scrape collects them (or, with several
# workers, the files every worker writes) into a registry of its own.
REQUESTS = Counter(
    "orderledger_requests",
    "Requests answered, by action (the /api/v2 action, else the route) and outcome "
    "(ok, refused, unauthorized, failed).",
    ["action", "outcome"],
    registry=None,
)
LATENCY = Histogram(
    "orderledger_request_duration_seconds",
    "Time from a request's arrival to its answer's last byte, by action.",
    ["action"],
    buckets=LATENCY_BUCKETS,
    registry=None,
)
ADD_BATCH = Histogram(
    "orderledger_add_batch_orders",
    "Orders placed together by the group commit of `add`, one account's share of a batch "
    "(one transaction).",
    buckets=BATCH_BUCKETS,
    registry=None,
)
POOL_FIGURES = {
    "size": "connections open",
    "max": "connections it may open",
    "available": "connections open and idle",
    "waiting": "requests waiting for a connection",
}
POOLS = {
    figure: Gauge(
        f"orderledger_db_pool_{figure}",
        f"Database pool: {meaning}, by pool (reads, commands, events), summed over the "
        "live workers.",
        ["pool"],
        multiprocess_mode="livesum",
        registry=None,
    )
    for figure, meaning in POOL_FIGURES.items()
}


class RequestTally:
    """The worker's answers since the last `flush`, counted in plain dictionaries: a
    request costs a dictionary update and a bisection, where the library's counter and
    histogram take a lock and write a memory-mapped file per figure (three per request).
    `flush` hands them to the library, every second and before each scrape (health.py),
    so a scrape is at most that much behind the other workers."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        # Per action: the sum of the seconds, then the count in each bucket (+Inf last).
        self.latency: dict[str, list[float]] = {}

    def count(self, action: str, outcome: str, seconds: float) -> None:
        key = (action, outcome)
        self.counts[key] = self.counts.get(key, 0) + 1
        tally = self.latency.get(action)
        if tally is None:
            tally = self.latency[action] = [0.0] * (len(LATENCY_BUCKETS) + 2)
        tally[0] += seconds
        tally[bisect_left(LATENCY_BUCKETS, seconds) + 1] += 1  # the first bound >= seconds

    def flush(self) -> None:
        counts, self.counts = self.counts, {}
        latency, self.latency = self.latency, {}
        for (action, outcome), n in counts.items():
            REQUESTS.labels(action, outcome).inc(n)
        for action, tally in latency.items():
            child = LATENCY.labels(action)
            # Many observations at once: the library has no call for it, so its own
            # per-bucket values are added to as `observe` adds to them, one at a time.
            child._sum.inc(tally[0])
            for bucket, observed in zip(child._buckets, tally[1:], strict=True):
                if observed:
                    bucket.inc(observed)


def record_pools(pools: dict[str, PoolUse]) -> None:
    for name, use in pools.items():
        POOLS["size"].labels(name).set(use.size)
        POOLS["max"].labels(name).set(use.max_size)
        POOLS["available"].labels(name).set(use.available)
        POOLS["waiting"].labels(name).set(use.waiting)


class StoreFigures(Collector):
    """The store's figures as read for one scrape."""

    def __init__(self, standing: Standing | None, queue: list[QueueDepth]) -> None:
        self.standing = standing  # None: the database did not answer
        self.queue = queue

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "orderledger_database_up", "1 when the scrape could read the store's figures."
        )
        up.add_metric([], 0 if self.standing is None else 1)
        yield up
        if self.standing is None:
            return
        s = self.standing
        events = CounterMetricFamily(
            "orderledger_events",
            "Events recorded in the event log (the number of its last one); rate() of it "
            "is events per second.",
        )
        events.add_metric([], s.head)
        position = GaugeMetricFamily(
            "orderledger_projection_position",
            "The last event each read model has folded.",
            labels=["projection"],
        )
        lag = GaugeMetricFamily(
            "orderledger_projection_lag_events",
            "Events recorded that each read model has not folded yet.",
            labels=["projection"],
        )
        stopped = GaugeMetricFamily(
            "orderledger_projection_stopped",
            "1 while a read model is stopped by an event it cannot fold.",
            labels=["projection"],
        )
        for name in sorted(s.positions):
            position.add_metric([name], s.positions[name])
            lag.add_metric([name], s.lag(name))
            stopped.add_metric([name], 1 if name in s.stopped else 0)
        depth = GaugeMetricFamily(
            "orderledger_claim_queue_depth",
            "Work a bot could claim now (expired claims included), by kind.",
            labels=["kind"],
        )
        expired = GaugeMetricFamily(
            "orderledger_claims_expired",
            "Claims whose lease ran out before the holder reported, by kind.",
            labels=["kind"],
        )
        held = GaugeMetricFamily(
            "orderledger_claims_held", "Claims within their lease, by kind.", labels=["kind"]
        )
        for q in self.queue:
            depth.add_metric([q.kind], q.claimable)
            expired.add_metric([q.kind], q.expired)
            held.add_metric([q.kind], q.held)
        yield from (events, position, lag, stopped, depth, expired, held)


class ProcessFigures(Collector):
    """This process's own figures (a server of one worker, or a test's app)."""

    def collect(self) -> Iterator[Metric]:
        for metric in (REQUESTS, LATENCY, ADD_BATCH, *POOLS.values()):
            yield from metric.collect()


def forget_dead_workers(directory: str) -> None:
    """A worker uvicorn replaced keeps its counters (they only add up) but not its live
    gauges: its pools are gone."""
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        pid = int(path.rsplit("_", 1)[1].removesuffix(".db"))
        if not process_alive(pid):
            multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def exposition(store: StoreFigures) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(MULTIPROC_DIR)
    if multiprocess_mode() and directory:
        with contextlib.suppress(OSError):
            forget_dead_workers(directory)
        multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    else:
        registry.register(ProcessFigures())
        if directory and os.path.isdir(directory):
            # One worker in serve's own process keeps its figures in memory; the forwarder's
            # process (cli/forwarder.py) still keeps its own in the directory.
            multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    registry.register(store)
    return generate_latest(registry)
