"""One batch of `add`s per account at a time, across every worker process.

Two workers deciding batches for the same account at once both load the same Account
version; one commit wins and the other batch is decided again from scratch (optimistic
concurrency keeps it correct, but under load most batches were being decided twice or
more). A PostgreSQL advisory lock per account, held from the decision to the commit, makes
them take turns instead. It is only about throughput: correctness still rests on the
optimistic concurrency check of the save. So a lock connection that dies (a restart, a
terminated backend) never fails a batch: a lock held on a session dies with it, and a batch
whose turn could not be taken is decided without it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg

from orderledger.storage.locks import ACCOUNT_LOCK_SPACE
from orderledger.storage.pools import FreshConnectionPool
from orderledger.storage.settings import one_line

log = logging.getLogger(__name__)

LOCK_SPACE = ACCOUNT_LOCK_SPACE


class PostgresAccountLocks:
    def __init__(self, conninfo: str, size: int = 4) -> None:
        self.pool: FreshConnectionPool[psycopg.Connection[tuple[Any, ...]]] = FreshConnectionPool(
            conninfo,
            min_size=1,
            max_size=size,
            open=True,
            kwargs={"autocommit": True},
        )

    @staticmethod
    def key(account: UUID) -> int:
        return int(account.int % (1 << 31))

    @contextmanager
    def held(self, account: UUID) -> Iterator[None]:
        with contextlib.ExitStack() as turn:
            conn = self.take(turn, account)
            if conn is not None:
                turn.callback(self.release, conn, account)
            yield

    def take(self, turn: contextlib.ExitStack, account: UUID) -> psycopg.Connection[Any] | None:
        """The connection holding the account's lock; None when it could not be taken."""
        try:
            conn = turn.enter_context(self.pool.connection())
            conn.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_SPACE, self.key(account)))
        except Exception as error:  # the pool's timeout, or a connection lost
            log.warning("deciding an add batch without its turn: %s", one_line(error))
            return None
        return conn

    def release(self, conn: psycopg.Connection[Any], account: UUID) -> None:
        """Unlock; after the batch's commit, so it must not fail the batch."""
        try:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_SPACE, self.key(account)))
        except psycopg.Error as error:
            log.warning("the lock of an add batch went with its connection: %s", one_line(error))
            with contextlib.suppress(psycopg.Error):
                conn.close()  # should the session still hold it, closing ends the lock too

    def close(self) -> None:
        self.pool.close()
