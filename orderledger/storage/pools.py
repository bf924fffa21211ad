"""Connection pools that survive a PostgreSQL restart or terminated backends.

A pooled connection whose server side has gone (a restart, `pg_terminate_backend`, a dropped
network path) is only found dead when it is next used, and would fail the request that drew
it. These pools test each connection as they hand it out, as psycopg_pool's
`check=ConnectionPool.check_connection` does, but cheaply and drawing the next one at once:
the library's own loop sleeps with a back-off between dead connections (1 s, 2 s, 4 s...),
and after a restart every idle connection is dead. Waiting for a connection is bounded, so a
request during an outage is answered (503) in seconds rather than after the library's 30 s.

A connection lost is replaced by attempts that back off (1 s, 2 s, 4 s...) for up to
`reconnect_timeout` (the library's default is 5 minutes), holding their place in the pool
meanwhile: after an outage of a minute, the pool would wait half a minute more before trying
again, and fail every request in between although the server was back. Given up after a few
seconds instead, the place is free, and the next request that waits makes a fresh attempt.
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg_pool import ConnectionPool, PoolTimeout

# How long a command waits for a connection: beyond it, the database is taken to be away.
POOL_TIMEOUT_SECONDS = 5.0
# How long the attempts to replace a lost connection go on before its place is freed.
RECONNECT_SECONDS = 2.0

CT = TypeVar("CT", bound="psycopg.Connection[Any]")
T = TypeVar("T")
# A connection lost mid-statement, as psycopg and eventsourcing (which wraps it) raise it.
LOST = (psycopg.OperationalError, OperationalError, InterfaceError)
REPEATS = 3


def repeated_if_lost(statement: Callable[[], T]) -> T:
    """A statement that may run twice (a read, a `nextval`), run again on another
    connection when the terminating of its backend caught it in flight. Not after the
    pool's own timeout: then the database is away, and waiting more would not help."""
    for _ in range(REPEATS - 1):
        try:
            return statement()
        except LOST as error:
            if isinstance(error, PoolTimeout) or isinstance(error.__cause__, PoolTimeout):
                raise
    return statement()


def said_goodbye(conn: psycopg.Connection[Any]) -> bool:
    """Whether an idle connection has something to read: a server that ends a session
    (terminated, shutting down) sends its reason and closes, and nothing else is due on an
    idle pooled connection. A poll of the socket: no round trip on the way to every query."""
    if conn.closed or conn.broken:
        return True
    poll = select.poll()  # not select(): a busy server's sockets number past 1024
    poll.register(conn.fileno(), select.POLLIN)
    return bool(poll.poll(0))


class FreshConnectionPool(ConnectionPool[CT]):
    def __init__(self, conninfo: str, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", POOL_TIMEOUT_SECONDS)
        kwargs.setdefault("reconnect_timeout", RECONNECT_SECONDS)
        super().__init__(conninfo, **kwargs)

    def getconn(self, timeout: float | None = None) -> CT:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        for _ in range(self.max_size):
            conn = super().getconn(max(deadline - time.monotonic(), 0.1))
            if not said_goodbye(conn):
                return conn
            try:
                self.check_connection(conn)  # a stray notice, say: the round trip decides
            except psycopg.Error:
                self.putconn(conn)  # broken: the pool discards it and opens another
                continue
            return conn
        return super().getconn(max(deadline - time.monotonic(), 0.1))
