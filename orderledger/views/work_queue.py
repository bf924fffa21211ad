"""Queries over the work-queue table: candidates to claim and what the sweep must tidy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from orderledger.domain.refill import forwarder_name
from orderledger.projections.work_queue import ORDER, REFILL, WORK_QUEUE, micros
from orderledger.storage.database import Database

TABLE = WORK_QUEUE.table
PAGE = 50
MAX_NUMBER = 2**63 - 1  # numbers are 64-bit in both databases


def numbers(db: Database, sql: str, params: Sequence[object]) -> list[int]:
    with db.transaction() as cursor:
        cursor.execute(sql, params)
        return [int(row[0]) for row in cursor.fetchall()]


def claimable(
    db: Database,
    kind: str,
    now: datetime,
    after: int,
    services: Sequence[int] = (),
    excluded: Sequence[int] = (),
) -> list[int]:
    """The oldest unclaimed (or expired) and due work after number `after`, one page: of
    `services` only if given, of none of `excluded` (the services upstreams fulfil)."""
    at = micros(now)
    sql = (
        f"SELECT number FROM {TABLE} WHERE kind = %s AND number > %s "
        "AND claim_expires_at <= %s AND due_at <= %s"
    )
    params: list[object] = [kind, after, at, at]
    if services:
        known = [number for number in services if 0 < number <= MAX_NUMBER]
        if not known:  # no service has such a number: nothing to hand out
            return []
        sql += f" AND service IN ({', '.join(['%s'] * len(known))})"
        params += known
    if excluded:
        sql += f" AND service NOT IN ({', '.join(['%s'] * len(excluded))})"
        params += list(excluded)
    return numbers(db, sql + f" ORDER BY number LIMIT {PAGE}", params)


def expired_claims(db: Database, kind: str, now: datetime, after: int = 0) -> list[int]:
    """Work whose holder went silent, one page: its claim is released (status Pending)."""
    return numbers(
        db,
        f"SELECT number FROM {TABLE} WHERE kind = %s AND number > %s AND claimed_by <> '' "
        f"AND claim_expires_at <= %s ORDER BY number LIMIT {PAGE}",
        [kind, after, micros(now)],
    )


def expired_subscriptions(db: Database, now: datetime, after: int = 0) -> list[int]:
    return numbers(
        db,
        f"SELECT number FROM {TABLE} WHERE kind = %s AND number > %s AND ends_at > 0 "
        f"AND ends_at <= %s ORDER BY number LIMIT {PAGE}",
        [ORDER, after, micros(now)],
    )


def cancel_requests(db: Database, limit: int = 100) -> list[int]:
    return numbers(
        db,
        f"SELECT number FROM {TABLE} WHERE kind = %s AND cancel_requested "
        f"ORDER BY number LIMIT {int(limit)}",
        [ORDER],
    )


def upstream_refills(db: Database) -> list[int]:
    """Open refills of forwarded orders: the forwarder's to ask for, and to follow."""
    return numbers(
        db,
        f"SELECT number FROM {TABLE} WHERE kind = %s AND claimed_by LIKE %s "
        "ORDER BY number LIMIT 1000",
        [REFILL, forwarder_name("%")],
    )
