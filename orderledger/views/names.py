"""The name of an account, for the access log: its API key's credential is named after it."""

from __future__ import annotations

from orderledger.storage.credentials import Role
from orderledger.views.reads import ReadModels

NAME_SQL = "SELECT name FROM orderledger_credentials WHERE role = %s AND subject = %s LIMIT 1"


async def account_name(reads: ReadModels, account_id: str) -> str | None:
    rows = await reads.query(NAME_SQL, (Role.API.value, account_id))
    return str(rows[0][0]) if rows else None
