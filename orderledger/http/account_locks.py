"""One batch of `add`s per account at a time, across every worker process.

Two workers deciding batches for the same account at once both load the same Account
version; one commit wins and the other batch is decided again from scratch (optimistic
concurrency keeps it correct, but under load most batches were being decided twice or
more). A PostgreSQL advisory lock per account, held from the decision to the commit, makes
them take turns instead. It is only about throughput: correctness still rests on the
optimistic concurrency check of the save.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from psycopg_pool import ConnectionPool

LOCK_SPACE = 0x6F6C  # keeps these keys apart from the projector's lock


class AccountLocks:
    def __init__(self, conninfo: str, size: int = 4) -> None:
        self.pool = ConnectionPool(
            conninfo, min_size=1, max_size=size, open=True, kwargs={"autocommit": True}
        )

    @staticmethod
    def key(account: UUID) -> int:
        return int(account.int % (1 << 31))

    @contextmanager
    def held(self, account: UUID) -> Iterator[None]:
        with self.pool.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_SPACE, self.key(account)))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_SPACE, self.key(account)))

    def close(self) -> None:
        self.pool.close()
