"""Queries over the forwarded orders: what the forwarder must settle or poll, and what an
operator must resolve (the orders in doubt)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orderledger.domain.order import ForwardState
from orderledger.projections.order_forwards import ORDER_FORWARDS
from orderledger.projections.order_status import ORDER_STATUS
from orderledger.storage.database import Database
from orderledger.storage.upstream_checks import TABLE as CHECKS

FORWARDS = ORDER_FORWARDS.table
# A statement reading two read models names them in registry order (order status first):
# a rebuild's switch locks the live tables one by one in that order, and a read that opened
# another first would hold it while waiting for the next, a deadlock with the switch.
FORWARDED = ForwardState.FORWARDED.value
IN_DOUBT = ForwardState.IN_DOUBT.value
BATCH = 100  # the most ids an upstream is asked about in one `status` call


@dataclass(frozen=True)
class ForwardLine:
    """Where an order stands at its upstream, as the read model has it."""

    number: int
    upstream: str
    upstream_service: int
    state: str  # sending, forwarded, in doubt, or "" (not placed: waiting to be sent)
    upstream_order: str
    attempts: int
    doubt: str
    cost: Decimal | None
    currency: str
    changed_at: str


@dataclass(frozen=True)
class Polled:
    order_id: str
    number: int
    upstream_order: str


COLUMNS = (
    "o.number, f.upstream, f.upstream_service, f.state, f.upstream_order, f.attempts, "
    "f.doubt, f.cost, f.currency, f.changed_at"
)


def line(row: tuple[object, ...]) -> ForwardLine:
    number, upstream, service, state, upstream_order, attempts, doubt, cost, cur, at = row
    return ForwardLine(
        int(str(number)),
        str(upstream),
        int(str(service)),
        str(state),
        str(upstream_order),
        int(str(attempts)),
        str(doubt),
        Decimal(str(cost)) if cost else None,
        str(cur),
        str(at),
    )


def forward_of(db: Database, number: int) -> ForwardLine | None:
    """The order's forwarding, None if it was never sent to an upstream."""
    rows = db.alone(
        f"SELECT {COLUMNS} FROM {ORDER_STATUS.table} o JOIN {FORWARDS} f ON f.id = o.id "
        "WHERE o.number = %s",
        (number,),
    )
    return line(rows[0]) if rows else None


def forwards_of(db: Database, numbers: list[int]) -> dict[int, ForwardLine]:
    if not numbers:
        return {}
    marks = ", ".join(["%s"] * len(numbers))
    rows = db.alone(
        f"SELECT {COLUMNS} FROM {ORDER_STATUS.table} o JOIN {FORWARDS} f ON f.id = o.id "
        f"WHERE o.number IN ({marks})",
        numbers,
    )
    return {found.number: found for found in map(line, rows)}


def in_doubt_condition() -> str:
    """For a list of orders (views/listings.py): only those in doubt."""
    return f"o.id IN (SELECT id FROM {FORWARDS} WHERE state = '{ForwardState.IN_DOUBT.value}')"


def interrupted(db: Database) -> list[int]:
    """Orders whose attempt was recorded but whose outcome was not: a forwarder stopped (or
    was killed) between the two."""
    rows = db.alone(
        f"SELECT o.number FROM {ORDER_STATUS.table} o JOIN {FORWARDS} f ON f.id = o.id "
        "WHERE f.state = %s ORDER BY o.number",
        (ForwardState.SENDING.value,),
    )
    return [int(row[0]) for row in rows]


def due_for_check(db: Database, upstream: str, checked_before: int) -> list[Polled]:
    """The next batch of the upstream's forwarded, unfinished orders to ask about: those not
    asked about since `checked_before` (microseconds), the longest unasked first."""
    rows = db.alone(
        f"SELECT f.id, o.number, f.upstream_order FROM {ORDER_STATUS.table} o "
        f"JOIN {FORWARDS} f ON f.id = o.id "
        f"LEFT JOIN {CHECKS} c ON c.order_id = f.id "
        "WHERE f.upstream = %s AND f.state = %s AND NOT f.finished "
        "AND COALESCE(c.checked_at, 0) < %s "
        f"ORDER BY COALESCE(c.checked_at, 0), o.number LIMIT {BATCH}",
        (upstream, ForwardState.FORWARDED.value, checked_before),
    )
    return [Polled(str(i), int(n), str(u)) for i, n, u in rows]


def forwarding_upstreams(db: Database) -> list[str]:
    """The upstreams that have orders out with them."""
    rows = db.alone(
        f"SELECT DISTINCT upstream FROM {FORWARDS} WHERE state = %s AND NOT finished",
        (ForwardState.FORWARDED.value,),
    )
    return sorted(str(row[0]) for row in rows)


@dataclass(frozen=True)
class ForwardCounts:
    """An upstream's orders as the read model counts them."""

    out: int = 0  # forwarded and not finished: followed there
    in_doubt: int = 0
    forwarded: int = 0  # ever forwarded (sent, whether placed, in doubt or finished)


def forward_counts(db: Database) -> dict[str, ForwardCounts]:
    """Per upstream (one scan of the forwards' `(upstream, state, finished)` index)."""
    rows = db.alone(
        f"SELECT upstream, state, finished, count(*) FROM {FORWARDS} "
        "GROUP BY upstream, state, finished",
        (),
    )
    counts: dict[str, ForwardCounts] = {}
    for upstream, state, finished, n in rows:
        was = counts.get(str(upstream), ForwardCounts())
        number = int(n)
        counts[str(upstream)] = ForwardCounts(
            out=was.out + (number if state == FORWARDED and not finished else 0),
            in_doubt=was.in_doubt + (number if state == IN_DOUBT else 0),
            forwarded=was.forwarded + number,
        )
    return counts
