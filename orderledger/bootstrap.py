"""The composition root: opens everything a process needs against the configured database.

The backend (storage/postgres.py or storage/sqlite.py) is chosen here, once, from the
settings; nothing else asks which database it is on. A server worker's whole wiring is one
`Runtime`, built by `runtime()` with defaults a test can replace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import anyio.to_thread
from anyio import CapacityLimiter
from eventsourcing.persistence import ApplicationRecorder

from orderledger.application.group_commit import AddBatcher
from orderledger.application.ledger import Ledger
from orderledger.application.sweep import Sweeper
from orderledger.domain.claims import utc_now
from orderledger.projections.live import LiveProjection
from orderledger.projections.ready import catch_up_before_serving
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.runner import Projector
from orderledger.projections.tables import Target
from orderledger.storage.backend import Backend, Leadership, Query
from orderledger.storage.credentials import Credentials
from orderledger.storage.database import Database
from orderledger.storage.postgres import PostgresBackend
from orderledger.storage.schema import create_core_schema
from orderledger.storage.schema import lock as schema_lock
from orderledger.storage.sequences import DatabaseSequences
from orderledger.storage.settings import Settings
from orderledger.storage.sqlite import SQLiteBackend
from orderledger.storage.upstream_keys import UpstreamKeys
from orderledger.views.event_tail import EventTable
from orderledger.views.reads import ReadModels

# Hot aggregates (accounts, services) stay in memory; fast-forwarding reads only the events
# another process appended since, so the cache is never stale when a command decides.
CACHE_ENV = {
    "AGGREGATE_CACHE_MAXSIZE": "20000",
    "AGGREGATE_CACHE_FASTFORWARD": "y",
}


def backend_for(settings: Settings) -> Backend:
    """The one place that asks which database is configured."""
    if settings.postgres is None:
        return SQLiteBackend(settings.data_dir)
    return PostgresBackend(settings.postgres, settings.describe())


def ledger_env(backend: Backend, pool_size: int) -> dict[str, str]:
    return {**backend.ledger_env(pool_size), **CACHE_ENV}


@dataclass
class Store:
    settings: Settings
    db: Database
    ledger: Ledger
    credentials: Credentials = field(init=False)
    upstream_keys: UpstreamKeys = field(init=False)

    def __post_init__(self) -> None:
        self.credentials = Credentials(self.db)
        self.upstream_keys = UpstreamKeys(self.db)

    @property
    def backend(self) -> Backend:
        return self.db.backend

    @classmethod
    def open(
        cls, settings: Settings | None = None, pool_size: int = 4, backend: Backend | None = None
    ) -> Store:
        settings = settings or Settings.from_env()
        backend = backend or backend_for(settings)
        db = backend.open_database(max_size=pool_size)
        create_core_schema(db)
        with db.transaction() as cursor:
            # Workers starting together each create the event store's tables and function;
            # unserialised, one failed with "tuple concurrently updated" and took uvicorn down.
            schema_lock(db, cursor)
            ledger = Ledger(DatabaseSequences(db), env=ledger_env(backend, pool_size))
        existing_ids = backend.existing_ids(ledger.recorder)
        if existing_ids is not None:
            ledger.existing_ids = existing_ids
        ledger.newer_events = backend.newer_events(ledger.recorder)
        store = cls(settings, db, ledger)
        store.projector().ensure()
        return store

    def projector(self) -> Projector:
        return Projector(self.ledger, self.db, [Target.live(p) for p in PROJECTIONS])

    def leadership(self) -> Leadership:
        return self.backend.leadership(self.ledger.recorder)

    def close(self) -> None:
        self.ledger.close()
        self.db.close()


def event_table_name(recorder: ApplicationRecorder) -> str:
    return str(getattr(recorder, "events_table_name", "stored_events"))


@dataclass
class Runtime:
    """What one server worker process runs beside its handlers; `start` and `stop` it."""

    store: Store
    query: Query  # the read models' reads
    events: EventTable  # the event store's table, as the views read it
    reads: ReadModels
    commands: CapacityLimiter  # the threads that carry out commands
    batcher: AddBatcher
    live: LiveProjection | None  # None: the projector runs elsewhere, or not at all
    sweeper: Sweeper | None  # None: no projector and no sweep (a test wants neither)
    clock: Callable[[], datetime]  # what claims, leases, reports and the sweep go by

    async def start(self) -> None:
        await self.query.open()
        self.batcher.start()
        if self.sweeper is not None:  # a server's worker, its projector here or not
            await anyio.to_thread.run_sync(catch_up_before_serving, self.store.projector())
        if self.live is not None:
            self.live.start()
        if self.sweeper is not None:
            self.sweeper.start()

    async def stop(self) -> None:
        await self.batcher.stop()
        if self.sweeper is not None:
            self.sweeper.stop()
        if self.live is not None:
            self.live.stop()
        await self.query.close()
        if self.events.query is not self.query:
            await self.events.query.close()
        self.store.close()


def runtime(
    settings: Settings,
    projector: bool = True,
    clock: Callable[[], datetime] = utc_now,
    store: Store | None = None,
    query: Query | None = None,
) -> Runtime:
    """A server worker's parts, from the settings: the store (opened here unless given, its
    schema created), its reads, the group commit and, with `projector`, the live projector
    and the sweep (the projector only if `settings.projector_in_workers`: `serve` runs it in
    a process of its own). Nothing runs until `start`."""
    store = store or Store.open(settings, pool_size=settings.command_threads)
    backend = store.backend
    here = projector and settings.projector_in_workers
    live = LiveProjection(store.projector(), store.leadership()) if here else None
    # The background work goes with the projector: a test that wants neither gets neither.
    sweeper = Sweeper(store.ledger, store.db, clock=clock) if projector else None
    query = query or backend.read_query(store.db, settings.read_pool_size)
    table = event_table_name(store.ledger.recorder)
    events = EventTable(backend.event_query(query), table, backend)
    batcher = AddBatcher(
        store.ledger, CapacityLimiter(settings.command_threads), backend.account_locks()
    )
    return Runtime(
        store=store,
        query=query,
        events=events,
        reads=ReadModels(query, events),
        commands=CapacityLimiter(settings.command_threads),
        batcher=batcher,
        live=live,
        sweeper=sweeper,
        clock=clock,
    )
