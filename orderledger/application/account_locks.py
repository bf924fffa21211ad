"""The account turns of the group commit: what the backend gives (PostgreSQL's advisory locks,
storage/account_locks.py), or none where writers queue anyway (SQLite)."""

from __future__ import annotations

from orderledger.storage.backend import AccountLocks

__all__ = ["AccountLocks"]
