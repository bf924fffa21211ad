"""API keys and bearer tokens: shown once, stored only as a hash, never in an event.

Tokens are 128 random bits, so a plain SHA-256 is as good as a slow hash here and keeps the
per-request look-up to one indexed read.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from orderledger.storage.database import Database


class Role(StrEnum):
    API = "api"  # the network's key for one account
    OPERATOR = "operator"  # fulfilment bots and staff
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Credential:
    role: Role
    subject: str
    name: str


@dataclass(frozen=True)
class Holder:
    """A name holding tokens in one role, as an operator may see it (no token, no hash)."""

    name: str
    tokens: int
    first_issued: str
    last_issued: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def holder_sql(hashed: str = "%s") -> str:
    """Whose a token is in one role (its `subject`: an account for an API key) and the
    credential's name: the one look-up of a token, which every reader of credentials runs.
    Parameters: the token's hash (`lookup_params`), unless `hashed` names an SQL expression
    that holds it (a query looking up many keys at once embeds this one), then the role."""
    return (
        "SELECT subject, name FROM orderledger_credentials "
        f"WHERE token_hash = {hashed} AND role = %s"
    )


HOLDER_SQL = holder_sql()


def lookup_params(token: str, role: Role) -> tuple[str, str]:
    """The parameters of `HOLDER_SQL` for this token in this role."""
    return token_hash(token), role.value


class Credentials:
    def __init__(self, db: Database) -> None:
        self.db = db

    def issue(self, role: Role, subject: str, name: str) -> str:
        token = secrets.token_hex(16)
        with self.db.transaction() as cursor:
            cursor.execute(
                "INSERT INTO orderledger_credentials "
                "(token_hash, role, subject, name, created_at) VALUES (%s, %s, %s, %s, %s)",
                (token_hash(token), role.value, subject, name, datetime.now(UTC).isoformat()),
            )
        return token

    def replace(self, role: Role, subject: str, name: str) -> tuple[int, str]:
        """Revoke every token of `subject` in `role` and issue one new one, in one
        transaction (never a moment with no key, nor two): how many were revoked, and the
        new token."""
        token = secrets.token_hex(16)
        with self.db.transaction() as cursor:
            cursor.execute(
                "DELETE FROM orderledger_credentials WHERE role = %s AND subject = %s",
                (role.value, subject),
            )
            revoked = int(cursor.rowcount)
            cursor.execute(
                "INSERT INTO orderledger_credentials "
                "(token_hash, role, subject, name, created_at) VALUES (%s, %s, %s, %s, %s)",
                (token_hash(token), role.value, subject, name, datetime.now(UTC).isoformat()),
            )
        return revoked, token

    def revoke_all(self, role: Role, subject: str) -> int:
        with self.db.transaction() as cursor:
            cursor.execute(
                "DELETE FROM orderledger_credentials WHERE role = %s AND subject = %s",
                (role.value, subject),
            )
            return int(cursor.rowcount)

    def revoke_named(self, role: Role, name: str) -> int:
        """Revoke every token of `role` issued under `name` (an operator's or an auditor's,
        whose subject is its name); how many there were. The next request with one is refused
        by every worker: each looks the token up afresh (`HOLDER_SQL`), nothing is cached."""
        with self.db.transaction() as cursor:
            cursor.execute(
                "DELETE FROM orderledger_credentials WHERE role = %s AND subject = %s",
                (role.value, name),
            )
            return int(cursor.rowcount)

    def holders(self, role: Role) -> list[Holder]:
        """Who holds tokens in `role`: each name, how many and when they were issued. Never a
        token or its hash."""
        with self.db.transaction() as cursor:
            cursor.execute(
                "SELECT name, count(*), min(created_at), max(created_at) "
                "FROM orderledger_credentials WHERE role = %s GROUP BY name ORDER BY name",
                (role.value,),
            )
            rows = cursor.fetchall()
        return [Holder(str(n), int(c), str(first), str(last)) for n, c, first, last in rows]

    def find(self, token: str, role: Role) -> Credential | None:
        with self.db.transaction() as cursor:
            cursor.execute(HOLDER_SQL, lookup_params(token, role))
            row = cursor.fetchone()
        return None if row is None else Credential(role, str(row[0]), str(row[1]))
