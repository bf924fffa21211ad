"""Connection pools that survive a PostgreSQL restart or terminated backends.

A pooled connection whose server side has gone (a restart, `pg_terminate_backend`, a dropped
network path) is only found dead when it is next used, and would fail the request that drew
it. These pools test each connection as they hand it out, as psycopg_pool's
`check=ConnectionPool.check_connection` does, but draw the next one at once: the library's
own loop sleeps with a back-off between dead connections (1 s, 2 s, 4 s...), and after a
restart every idle connection is dead. Waiting for a connection is bounded, so a request
during an outage is answered (503) in seconds rather than after the library's 30 s.
"""

from __future__ import annotations

from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

# How long a command waits for a connection: beyond it, the database is taken to be away.
POOL_TIMEOUT_SECONDS = 5.0

CT = TypeVar("CT", bound="psycopg.Connection[Any]")


class FreshConnectionPool(ConnectionPool[CT]):
    def getconn(self, timeout: float | None = None) -> CT:
        for _ in range(self.max_size):
            conn = super().getconn(timeout)
            try:
                self.check_connection(conn)
            except psycopg.Error:
                self.putconn(conn)  # broken: the pool discards it and opens another
                continue
            return conn
        return super().getconn(timeout)
