"""Order and refill numbers from the database, so every worker process shares one sequence."""

from __future__ import annotations

from orderledger.storage.database import Database


class DatabaseSequences:
    def __init__(self, db: Database) -> None:
        self.db = db

    def next_number(self, name: str) -> int:
        return self.next_numbers(name, 1)[0]

    def next_numbers(self, name: str, count: int) -> list[int]:
        """`count` numbers of the named sequence, in increasing order (one round trip on
        PostgreSQL)."""
        return self.db.backend.next_numbers(self.db, name, count)
