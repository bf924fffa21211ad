"""When the forwarder last asked an upstream about each forwarded order.

Operational bookkeeping, not a fact of the order: an answer that changed nothing records no
event, but the order goes to the back of the line so that every forwarded order is asked in
turn (oldest check first) and none starves however many there are.
"""

from __future__ import annotations

from collections.abc import Iterable

from orderledger.storage.database import Database

TABLE = "orderledger_upstream_checks"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (order_id TEXT PRIMARY KEY, checked_at BIGINT NOT NULL)",
)


class UpstreamChecks:
    def __init__(self, db: Database) -> None:
        self.db = db

    def mark(self, order_ids: Iterable[str], at: int) -> None:
        """The orders were asked about at `at` (microseconds since the epoch)."""
        rows = [(order_id, at) for order_id in order_ids]
        if not rows:
            return
        with self.db.transaction() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (order_id, checked_at) VALUES (%s, %s) "
                "ON CONFLICT (order_id) DO UPDATE SET checked_at = excluded.checked_at",
                rows,
            )

    def forget(self, order_ids: Iterable[str]) -> None:
        """Orders that ended: nothing more to ask about them."""
        rows = [(order_id,) for order_id in order_ids]
        if rows:
            with self.db.transaction() as cursor:
                cursor.executemany(f"DELETE FROM {TABLE} WHERE order_id = %s", rows)
