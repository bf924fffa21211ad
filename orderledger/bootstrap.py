"""Opens everything a process needs against the configured database."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from orderledger.application.ledger import Ledger
from orderledger.projections.live import (
    EVENTS_CHANNEL,
    FileLeadership,
    Leadership,
    PostgresLeadership,
)
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.runner import Projector
from orderledger.projections.tables import Target
from orderledger.storage import event_recorder, event_store
from orderledger.storage.credentials import Credentials
from orderledger.storage.database import (
    Database,
    PostgresDatabase,
    SQLiteDatabase,
    check_reachable,
)
from orderledger.storage.existing import existing_aggregates
from orderledger.storage.pools import POOL_TIMEOUT_SECONDS
from orderledger.storage.schema import create_core_schema
from orderledger.storage.schema import lock as schema_lock
from orderledger.storage.sequences import DatabaseSequences
from orderledger.storage.settings import Settings

# Hot aggregates (accounts, services) stay in memory; fast-forwarding reads only the events
# another process appended since, so the cache is never stale when a command decides.
CACHE_ENV = {
    "AGGREGATE_CACHE_MAXSIZE": "20000",
    "AGGREGATE_CACHE_FASTFORWARD": "y",
}


def ledger_env(settings: Settings, pool_size: int) -> dict[str, str]:
    if settings.postgres is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.data_dir / "events.sqlite"),
            "SQLITE_LOCK_TIMEOUT": "30",
            **CACHE_ENV,
        }
    p = settings.postgres
    return {
        # eventsourcing's factory, with a pool that connects with the URL as given
        "PERSISTENCE_MODULE": event_store.TOPIC,
        event_store.CONNINFO: p.conninfo(),
        "POSTGRES_DBNAME": p.dbname,
        "POSTGRES_HOST": p.host,
        "POSTGRES_PORT": str(p.port),
        "POSTGRES_USER": p.user,
        "POSTGRES_PASSWORD": p.password,
        # Connections open as threads need them: a few idle ones, up to one per command thread.
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": str(max(pool_size - 2, 1)),
        "POSTGRES_LOCK_TIMEOUT": "10",
        # how long a command waits for a connection before it is answered "unavailable"
        "POSTGRES_CONNECT_TIMEOUT": str(int(POOL_TIMEOUT_SECONDS)),
        "APPLICATION_RECORDER_TOPIC": event_recorder.TOPIC,
        **CACHE_ENV,
    }


def open_database(settings: Settings, max_size: int) -> Database:
    if settings.postgres is None:
        return SQLiteDatabase(settings.data_dir / "ledger.sqlite")
    check_reachable(settings.postgres.conninfo(), settings.describe())
    return PostgresDatabase(settings.postgres.conninfo(), max_size=max_size)


@dataclass
class Store:
    settings: Settings
    db: Database
    ledger: Ledger
    credentials: Credentials = field(init=False)

    def __post_init__(self) -> None:
        self.credentials = Credentials(self.db)

    @classmethod
    def open(cls, settings: Settings | None = None, pool_size: int = 4) -> Store:
        settings = settings or Settings.from_env()
        db = open_database(settings, max_size=pool_size)
        create_core_schema(db)
        with db.transaction() as cursor:
            # Workers starting together each create the event store's tables and function;
            # unserialised, one failed with "tuple concurrently updated" and took uvicorn down.
            schema_lock(db, cursor)
            ledger = Ledger(DatabaseSequences(db), env=ledger_env(settings, pool_size))
        ledger.existing_ids = partial(existing_aggregates, ledger.recorder)
        store = cls(settings, db, ledger)
        store.projector().ensure()
        return store

    def projector(self) -> Projector:
        return Projector(self.ledger, self.db, [Target.live(p) for p in PROJECTIONS])

    def leadership(self) -> Leadership:
        if self.settings.postgres is None:
            return FileLeadership(self.settings.data_dir / "projector.lock")
        # eventsourcing notifies on a channel named after the events table, on every commit
        channel = str(getattr(self.ledger.recorder, "channel_name", EVENTS_CHANNEL))
        return PostgresLeadership(self.settings.postgres.conninfo(), channel)

    def close(self) -> None:
        self.ledger.close()
        self.db.close()
