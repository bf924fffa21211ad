"""eventsourcing's PostgreSQL factory, connecting as orderledger's own pools do.

The library's datastore builds its pool from separate host, port, user, password and dbname
settings, so any other option of the URL (sslmode, application_name, ...) would be lost. Here
its pool is replaced, before first use, by one that connects with the URL as given and never
hands out a dead connection (see pools). Snapshots are recorded best-effort: a snapshot is a
shortcut for loading, and one that fails to be written must not fail a command whose events
are already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.postgres import PostgresFactory as LibraryFactory
from eventsourcing.utils import Environment, EnvType
from psycopg.rows import DictRow, dict_row

from orderledger.storage.pools import FreshConnectionPool
from orderledger.storage.settings import one_line

log = logging.getLogger(__name__)

TOPIC = f"{__name__}:PostgresFactory"
CONNINFO = "POSTGRES_CONNINFO"  # the environment key with what psycopg connects with


class BestEffortSnapshots(PostgresAggregateRecorder):
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        try:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        except PersistenceError as error:
            log.warning("a snapshot was not recorded (loading stays exact): %s", one_line(error))
            return None
        return ids


class PostgresFactory(LibraryFactory):
    aggregate_recorder_class = BestEffortSnapshots  # an application records only snapshots so

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        conninfo = self.env.get(CONNINFO)
        if conninfo:
            library_pool = self.datastore.pool
            pool: FreshConnectionPool[psycopg.Connection[DictRow]] = FreshConnectionPool(
                conninfo,
                kwargs={"row_factory": dict_row},
                min_size=library_pool.min_size,
                max_size=library_pool.max_size,
                open=False,
                configure=self.datastore.after_connect_func(),
                timeout=library_pool.timeout,
                max_waiting=library_pool.max_waiting,
                max_lifetime=library_pool.max_lifetime,
            )
            self.datastore.pool = pool  # type: ignore[assignment]
