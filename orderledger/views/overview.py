"""What the console's overview shows, read from the read models at the moment it is asked:
orders by status, orders and charges per day, cancel requests waiting, the claims each bot
holds (and those gone stale), and where each projection stands (`standing`).

Charges are summed as Decimal here, not by the database (the read models keep them as exact
text; SQLite would sum them as floats): the query groups the orders of each day by currency
and charge, which are few (an order's charge is its service's rate times its quantity), and
the sum is made from those groups.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from orderledger.projections.order_status import ORDER_STATUS
from orderledger.projections.work_queue import ORDER, WORK_QUEUE, micros
from orderledger.views.listings import stamp
from orderledger.views.reads import ReadModels
from orderledger.views.standing import Standing, standing

DAYS = 30
BY_STATUS_SQL = f"SELECT status, count(*) FROM {ORDER_STATUS.table} GROUP BY status"
# placed_at is ISO 8601 text in UTC: its first ten characters are the day.
PER_DAY_SQL = (
    f"SELECT substr(placed_at, 1, 10), currency, charge, count(*) FROM {ORDER_STATUS.table} "
    "WHERE placed_at >= %s GROUP BY substr(placed_at, 1, 10), currency, charge"
)
CANCELS_SQL = f"SELECT count(*) FROM {WORK_QUEUE.table} WHERE kind = %s AND cancel_requested"
CLAIMS_SQL = (
    "SELECT claimed_by, kind, "
    "count(*) FILTER (WHERE claim_expires_at > %s), "
    "count(*) FILTER (WHERE claim_expires_at <= %s) "
    f"FROM {WORK_QUEUE.table} WHERE claimed_by <> '' GROUP BY claimed_by, kind "
    "ORDER BY claimed_by, kind"
)


@dataclass(frozen=True)
class Day:
    day: date
    orders: int
    charges: dict[str, Decimal]  # by currency


@dataclass(frozen=True)
class BotClaims:
    bot: str
    kind: str  # order or refill
    held: int
    expired: int  # the claim's lease ran out: the sweep will give the work back


@dataclass(frozen=True)
class Overview:
    by_status: dict[str, int]
    days: list[Day]  # the last DAYS days, oldest first, today last (days without orders too)
    cancel_requests: int
    claims: list[BotClaims]
    standing: Standing
    now: datetime
    currencies: list[str] = field(default_factory=list)

    @property
    def today(self) -> Day:
        return self.days[-1]


async def overview(reads: ReadModels, now: datetime) -> Overview:
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=DAYS - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    by_status = {str(s): int(n) for s, n in await reads.query(BY_STATUS_SQL, ())}
    counts: dict[str, int] = defaultdict(int)
    charges: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for day, currency, charge, count in await reads.query(PER_DAY_SQL, (stamp(since),)):
        counts[str(day)] += int(count)
        charges[str(day)][str(currency)] += Decimal(charge) * int(count)
    days = [
        Day(d, counts.get(d.isoformat(), 0), dict(charges.get(d.isoformat(), {})))
        for d in (first + timedelta(days=i) for i in range(DAYS))
    ]
    cancels = await reads.query(CANCELS_SQL, (ORDER,))
    at = micros(now)
    claims = [
        BotClaims(str(bot), str(kind), int(held), int(expired))
        for bot, kind, held, expired in await reads.query(CLAIMS_SQL, (at, at))
    ]
    currencies = sorted({c for day in days for c in day.charges})
    return Overview(
        by_status=by_status,
        days=days,
        cancel_requests=int(cancels[0][0]) if cancels else 0,
        claims=claims,
        standing=await standing(reads),
        now=now,
        currencies=currencies,
    )
