"""When each new order's row appears in the order-status table, seen from outside the server.

A thread polls the table every millisecond for order numbers above a watermark and notes the
first moment it saw each. Numbers come from one sequence, so the watermark advances past
every contiguous run already seen and each poll reads only the few newest rows.
"""

from __future__ import annotations

import threading
import time

import psycopg

from orderledger.projections.order_status import ORDER_STATUS

POLL_SECONDS = 0.001


def connect(conninfo: str, attempts: int = 50) -> psycopg.Connection[tuple[object, ...]]:
    """A connection, waiting a little while the server has no free slot (shared machines)."""
    for attempt in range(attempts):
        try:
            return psycopg.connect(conninfo, autocommit=True)
        except psycopg.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)
    raise AssertionError("unreachable")


class RowWatcher:
    def __init__(self, conn: psycopg.Connection[tuple[object, ...]], after: int) -> None:
        self.conn = conn
        self.watermark = after
        self.seen: dict[int, float] = {}
        self.stopping = threading.Event()
        self.failure: Exception | None = None
        self.thread = threading.Thread(target=self.run, name="bench-row-watcher", daemon=True)

    def __enter__(self) -> RowWatcher:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        if self.failure is not None:
            raise RuntimeError(f"could not watch the order-status table: {self.failure}")

    def run(self) -> None:
        try:
            self.watch()
        except Exception as error:
            self.failure = error

    def watch(self) -> None:
        sql = f"SELECT number FROM {ORDER_STATUS.table} WHERE number > %s"
        while not self.stopping.is_set():
            rows = self.conn.execute(sql, (self.watermark,), prepare=True).fetchall()
            now = time.time()
            for (number,) in rows:
                self.seen.setdefault(int(str(number)), now)
            while self.watermark + 1 in self.seen:
                self.watermark += 1
            time.sleep(POLL_SECONDS)


def lag_p99_ms(answered: list[tuple[int, float]], seen: dict[int, float]) -> float:
    """p99 of (row visible − answer received); a row seen before its answer counts as 0."""
    missing = [number for number, _ in answered if number not in seen]
    if missing:
        raise RuntimeError(f"{len(missing)} placed orders never appeared, e.g. {missing[:5]}")
    lags = sorted(max(0.0, seen[number] - at) for number, at in answered)
    if not lags:
        raise RuntimeError("no order was placed while measuring the projection lag")
    return lags[min(len(lags) - 1, int(0.99 * len(lags)))] * 1000
