"""Queries answered straight from the read-model tables.

PostgreSQL is read through psycopg's async pool; SQLite, which has no async driver in the
standard library, in a worker thread. Both run the same SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, Protocol

import anyio.to_thread
import psycopg
from psycopg_pool import AsyncConnectionPool

from orderledger.http import presenters
from orderledger.projections.account_balance import ACCOUNT_BALANCE, AccountBalanceRow
from orderledger.projections.catalogue import CATALOGUE, ServiceRow
from orderledger.projections.order_status import ORDER_STATUS, OrderStatusRow
from orderledger.projections.refill_status import REFILL_STATUS, RefillStatusRow
from orderledger.projections.tables import Target, select_sql
from orderledger.storage.credentials import Role, token_hash
from orderledger.storage.database import SQLiteDatabase
from orderledger.storage.pools import POOL_TIMEOUT_SECONDS, RECONNECT_SECONDS

ORDERS_SQL = select_sql(Target.live(ORDER_STATUS))
REFILLS_SQL = select_sql(Target.live(REFILL_STATUS))
BALANCE_SQL = select_sql(Target.live(ACCOUNT_BALANCE)) + " WHERE id = %s"
SERVICES_SQL = select_sql(Target.live(CATALOGUE)) + " WHERE enabled ORDER BY number"
# Each order's `status` answer, by number.
Answers = dict[int, dict[str, str]]

KEY_SQL = "SELECT subject FROM orderledger_credentials WHERE token_hash = %s AND role = %s"


class Query(Protocol):
    async def __call__(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...


class PostgresQuery:
    """Reads from an async pool. A read whose connection turns out dead (PostgreSQL
    restarted, its backend terminated) is read again on another: a query changes nothing,
    so nothing is lost by sending it twice. Checking every connection as it is handed out
    would cost a round trip per request instead."""

    def __init__(self, conninfo: str, size: int) -> None:
        # Autocommit: each read is one statement, so a transaction would only add a COMMIT
        # round trip per query (and every read still sees every committed row).
        self.size = size
        self.pool = AsyncConnectionPool(
            conninfo,
            min_size=min(2, size),
            max_size=size,
            open=False,
            kwargs={"autocommit": True},
            timeout=POOL_TIMEOUT_SECONDS,
            reconnect_timeout=RECONNECT_SECONDS,  # see storage.pools
        )

    async def open(self) -> None:
        await self.pool.open(wait=True)

    async def close(self) -> None:
        await self.pool.close()

    async def __call__(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        for _ in range(self.size):  # after a restart, every pooled connection is dead
            rows = await self.read(sql, params)
            if rows is not None:
                return rows
        return await self.read(sql, params, last=True) or []

    async def read(
        self, sql: str, params: Sequence[Any], last: bool = False
    ) -> list[tuple[Any, ...]] | None:
        """The rows; None when the connection was found dead (the pool then replaces it)."""
        async with self.pool.connection() as conn:
            try:
                cursor = await conn.execute(sql, params, prepare=True)
                return await cursor.fetchall()
            except psycopg.OperationalError:
                if last or not (conn.closed or conn.broken):
                    raise
                return None


class SQLiteQuery:
    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db

    def run(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor = self.db.connection().execute(sql.replace("%s", "?"), tuple(params))
        return cursor.fetchall()

    async def __call__(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return await anyio.to_thread.run_sync(partial(self.run, sql, params))


class ReadModels:
    def __init__(self, query: Query, dialect: str) -> None:
        self.query = query
        self.dialect = dialect

    def by_numbers(self, base: str, numbers: Sequence[int]) -> tuple[str, list[Any]]:
        if self.dialect == "postgres":
            return f"{base} WHERE account_id = %s AND number = ANY(%s)", [list(numbers)]
        marks = ", ".join(["%s"] * len(numbers))
        return f"{base} WHERE account_id = %s AND number IN ({marks})", list(numbers)

    async def account_for_key(self, key: str) -> str | None:
        rows = await self.query(KEY_SQL, (token_hash(key), Role.API.value))
        return str(rows[0][0]) if rows else None

    async def orders(self, account_id: str, numbers: Sequence[int]) -> dict[int, OrderStatusRow]:
        if not numbers:
            return {}
        sql, params = self.by_numbers(ORDERS_SQL, numbers)
        rows = await self.query(sql, [account_id, *params])
        return {row.number: row for row in map(ORDER_STATUS.from_db, rows)}

    async def order_answers(self, account_id: str, numbers: Sequence[int]) -> Answers:
        """Each order's `status` answer, by number."""
        rows = await self.orders(account_id, numbers)
        return {number: presenters.order_status(row) for number, row in rows.items()}

    async def refills(self, account_id: str, numbers: Sequence[int]) -> dict[int, RefillStatusRow]:
        if not numbers:
            return {}
        sql, params = self.by_numbers(REFILLS_SQL, numbers)
        rows = await self.query(sql, [account_id, *params])
        return {row.number: row for row in map(REFILL_STATUS.from_db, rows)}

    async def balance(self, account_id: str) -> AccountBalanceRow | None:
        rows = await self.query(BALANCE_SQL, (account_id,))
        return ACCOUNT_BALANCE.from_db(rows[0]) if rows else None

    async def services(self) -> list[ServiceRow]:
        return [CATALOGUE.from_db(row) for row in await self.query(SERVICES_SQL, ())]
