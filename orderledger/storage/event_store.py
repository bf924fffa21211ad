"""eventsourcing's PostgreSQL factory, connecting as orderledger's own pools do.

The library's datastore builds its pool from separate host, port, user, password and dbname
settings, so any other option of the URL (sslmode, application_name, ...) would be lost. Here
its pool is replaced, before first use, by one that connects with the URL as given and never
hands out a dead connection (see pools). (A snapshot that fails to be written is logged and
passed over by the ledger itself, on every backend: `LedgerBase.snapshot_in_hand`.)
"""

from __future__ import annotations

import psycopg
from eventsourcing.postgres import PostgresFactory as LibraryFactory
from eventsourcing.utils import Environment, EnvType
from psycopg.rows import DictRow, dict_row

from orderledger.storage.pools import FreshConnectionPool

TOPIC = f"{__name__}:PostgresFactory"
CONNINFO = "POSTGRES_CONNINFO"  # the environment key with what psycopg connects with


class PostgresFactory(LibraryFactory):
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
