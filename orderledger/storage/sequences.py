"""Order and refill numbers from the database, so every worker process shares one sequence."""

from __future__ import annotations

from orderledger.storage.database import Database, PostgresDatabase

SEQUENCES = {"order": "orderledger_order_numbers", "refill": "orderledger_refill_numbers"}


class DatabaseSequences:
    def __init__(self, db: Database) -> None:
        self.db = db

    def next_number(self, name: str) -> int:
        if isinstance(self.db, PostgresDatabase):
            return self.next_numbers(name, 1)[0]
        with self.db.transaction() as cursor:
            cursor.execute(
                "INSERT INTO orderledger_sequences (name, value) VALUES (%s, 1) "
                "ON CONFLICT (name) DO UPDATE SET value = orderledger_sequences.value + 1 "
                "RETURNING value",
                (name,),
            )
            row = cursor.fetchone()
        assert row is not None
        return int(row[0])

    def next_numbers(self, name: str, count: int) -> list[int]:
        """`count` numbers of the named sequence in one round trip, in increasing order."""
        if not isinstance(self.db, PostgresDatabase):
            return [self.next_number(name) for _ in range(count)]
        rows = self.db.alone(
            "SELECT nextval(%s) FROM generate_series(1, %s)", (SEQUENCES[name], count)
        )
        return sorted(int(row[0]) for row in rows)
