"""Order and refill numbers from the database, so every worker process shares one sequence."""

from __future__ import annotations

from orderledger.storage.database import Database

SEQUENCES = {"order": "orderledger_order_numbers", "refill": "orderledger_refill_numbers"}


# SQLite has no sequences: a counter row per name, bumped in its own write transaction.
SQLITE_NEXT = (
    "INSERT INTO orderledger_sequences (name, value) VALUES (%s, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = orderledger_sequences.value + 1 "
    "RETURNING value"
)


class DatabaseSequences:
    def __init__(self, db: Database) -> None:
        self.db = db

    def next_number(self, name: str) -> int:
        return self.next_numbers(name, 1)[0]

    def next_numbers(self, name: str, count: int) -> list[int]:
        """`count` numbers of the named sequence, in increasing order (one round trip on
        PostgreSQL)."""
        if self.db.dialect != "postgres":
            return [int(self.db.alone(SQLITE_NEXT, (name,))[0][0]) for _ in range(count)]
        rows = self.db.alone(
            "SELECT nextval(%s) FROM generate_series(1, %s)", (SEQUENCES[name], count)
        )
        return sorted(int(row[0]) for row in rows)
