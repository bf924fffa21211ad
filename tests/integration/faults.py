"""What the connection-fault tests share: the network's calls and what the store holds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import psycopg

from orderledger.bootstrap import Store
from orderledger.storage.settings import PostgresAddress

TERMINATE_SQL = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def terminate_backends(address: PostgresAddress) -> int:
    """Terminate every other connection to the test database; how many there were."""
    with psycopg.connect(address.conninfo(), autocommit=True) as conn:
        return len(conn.execute(TERMINATE_SQL).fetchall())


def call(url: str, key: str, timeout: float = 30, **fields: str) -> httpx.Response:
    return httpx.post(url, data={"key": key, **fields}, timeout=timeout)


def add(url: str, key: str, link: str, timeout: float = 30) -> httpx.Response:
    return call(url, key, timeout, action="add", service="1", link=link, quantity="100")


def succeeded(response: httpx.Response) -> bool:
    body = response.json()
    return response.status_code == 200 and not (isinstance(body, dict) and "error" in body)


def placed_links(store: Store) -> dict[str, int]:
    """Every order in the store, by its link."""
    with store.db.transaction() as cursor:
        cursor.execute("SELECT last_value, is_called FROM orderledger_order_numbers")
        row = cursor.fetchone()
    assert row is not None
    last = int(row[0]) if row[1] else 0
    orders = (store.ledger.order(number) for number in range(1, last + 1))
    return {order.link: order.number for order in orders if order is not None}


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(0.02)
