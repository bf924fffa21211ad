"""Lists of orders, refills and accounts for operators, read from the read models alone.

Nothing here claims or changes anything: a waiting order stays Pending however often it is
listed. Each list is read a page at a time, newest first, by keyset (the last row of a page
names where the next one starts), so a page costs the same on the millionth order as on the
first. Every filter is served by an index of its read model (`indexed` in the projections):
orders by `(placed_at, number)` under each filter's column, and each asked status is read as
a branch of its own so that every branch walks its index in order and stops at the page's
end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from orderledger.projections.account_balance import ACCOUNT_BALANCE, AccountBalanceRow
from orderledger.projections.order_links import ORDER_LINKS, link_key
from orderledger.projections.order_status import ORDER_STATUS
from orderledger.projections.refill_status import REFILL_STATUS
from orderledger.projections.tables import Target, column_names
from orderledger.storage.database import Database
from orderledger.views.forwards import in_doubt_condition

MAX_PAGE = 1000


class ListingRefused(LookupError):
    """A list asked for something that is not there (an account, the page's cursor)."""


@dataclass(frozen=True)
class OrderFilter:
    statuses: Sequence[str] = ()
    account: str | None = None  # the account's name
    service: int | None = None
    link: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # placed before this moment
    before: int | None = None  # the order number the page starts after (newest first)
    limit: int = 50
    in_doubt: bool = False  # only orders whose upstream may or may not have them


@dataclass(frozen=True)
class OrderLine:
    number: int
    account: str
    service: int
    status: str
    link: str
    charge: Decimal
    quantity: int
    remains: int
    start_count: int
    currency: str
    placed_at: str


@dataclass(frozen=True)
class RefillLine:
    number: int
    order: int
    account: str
    status: str


@dataclass(frozen=True)
class Page:
    """One page of a list, and the cursor of the next one (None: this was the last)."""

    rows: list[Any]
    next_before: int | None


def stamp(moment: datetime) -> str:
    """A moment as the order-status rows hold it (`datetime.isoformat` of UTC), so that the
    text comparison is the time comparison."""
    return moment.astimezone(UTC).isoformat()


ORDER_COLUMNS = (
    "o.number, a.name, o.service, o.status, l.link, o.charge, o.quantity, o.remains, "
    "o.start_count, o.currency, o.placed_at"
)


def orders_sql(branches: int, conditions: Sequence[str]) -> str:
    """A page of orders, newest first: one branch per asked status (or one for any status),
    each walking its index in order to the page's end, then merged. Parameters: per branch,
    its status (when statuses are asked) then the conditions' parameters; the limit of each
    branch; then the page's limit."""
    where = " AND ".join(conditions) or "TRUE"
    table = ORDER_STATUS.table
    if branches:
        parts = [
            f"SELECT * FROM (SELECT id FROM {table} o WHERE o.status = %s AND {where} "
            f"ORDER BY o.placed_at DESC, o.number DESC LIMIT %s) AS b{i}"
            for i in range(branches)
        ]
        ids = " UNION ALL ".join(parts)
    else:
        ids = (
            f"SELECT id FROM {table} o WHERE {where} "
            "ORDER BY o.placed_at DESC, o.number DESC LIMIT %s"
        )
    return (
        f"SELECT {ORDER_COLUMNS} FROM {table} o "
        f"LEFT JOIN {ACCOUNT_BALANCE.table} a ON a.id = o.account_id "
        f"LEFT JOIN {ORDER_LINKS.table} l ON l.id = o.id "
        f"WHERE o.id IN ({ids}) ORDER BY o.placed_at DESC, o.number DESC LIMIT %s"
    )


def known_account(db: Database, name: str) -> str:
    """The id of the account named `name`, as the read model knows it."""
    rows = db.alone(f"SELECT id FROM {ACCOUNT_BALANCE.table} WHERE name = %s", (name,))
    if not rows:
        raise ListingRefused(f"no account {name!r}")
    return str(rows[0][0])


def orders_query(db: Database, wanted: OrderFilter) -> tuple[str, list[Any]]:
    """The statement that reads a page of `wanted` and its parameters (the account and the
    cursor looked up first: ListingRefused if either is not there)."""
    conditions: list[str] = []
    params: list[Any] = []
    if wanted.account is not None:
        conditions.append("o.account_id = %s")
        params.append(known_account(db, wanted.account))
    if wanted.service is not None:
        conditions.append("o.service = %s")
        params.append(wanted.service)
    if wanted.link is not None:
        conditions.append(
            f"o.id IN (SELECT id FROM {ORDER_LINKS.table} WHERE link_key = %s AND link = %s)"
        )
        params += [link_key(wanted.link), wanted.link]
    if wanted.in_doubt:
        conditions.append(in_doubt_condition())
    if wanted.since is not None:
        conditions.append("o.placed_at >= %s")
        params.append(stamp(wanted.since))
    if wanted.until is not None:
        conditions.append("o.placed_at < %s")
        params.append(stamp(wanted.until))
    if wanted.before is not None:
        rows = db.alone(
            f"SELECT placed_at FROM {ORDER_STATUS.table} WHERE number = %s", (wanted.before,)
        )
        if not rows:
            raise ListingRefused(f"no order {wanted.before} to list the orders before")
        # Newest first: the orders placed before that one (ties broken by number).
        conditions.append("(o.placed_at, o.number) < (%s, %s)")
        params += [rows[0][0], wanted.before]
    statuses = list(dict.fromkeys(wanted.statuses))
    per_page = wanted.limit + 1  # one more than the page: whether there is a next one
    if statuses:
        values = [v for status in statuses for v in (status, *params, per_page)]
    else:
        values = [*params, per_page]
    return orders_sql(len(statuses), conditions), [*values, per_page]


def list_orders(db: Database, wanted: OrderFilter) -> Page:
    sql, params = orders_query(db, wanted)
    return paged([order_line(row) for row in db.alone(sql, params)], wanted.limit)


def order_by_number(db: Database, number: int) -> OrderLine | None:
    """The order's line, None when the read model has no row of it."""
    rows = db.alone(
        f"SELECT {ORDER_COLUMNS} FROM {ORDER_STATUS.table} o "
        f"LEFT JOIN {ACCOUNT_BALANCE.table} a ON a.id = o.account_id "
        f"LEFT JOIN {ORDER_LINKS.table} l ON l.id = o.id WHERE o.number = %s",
        (number,),
    )
    return order_line(rows[0]) if rows else None


def order_line(row: Sequence[Any]) -> OrderLine:
    (number, account, service, status, link, charge, quantity, remains, start, currency, at) = row
    return OrderLine(
        int(number),
        str(account or ""),
        int(service),
        str(status),
        str(link or ""),
        Decimal(charge),
        int(quantity),
        int(remains),
        int(start),
        str(currency),
        str(at),
    )


def paged(lines: list[Any], limit: int) -> Page:
    if len(lines) > limit:
        return Page(lines[:limit], lines[limit - 1].number)
    return Page(lines, None)


def refills_sql(branches: int, conditions: Sequence[str]) -> str:
    table = REFILL_STATUS.table
    where = " AND ".join(conditions) or "TRUE"
    if branches:
        ids = " UNION ALL ".join(
            f"SELECT * FROM (SELECT id FROM {table} r WHERE r.status = %s AND {where} "
            f"ORDER BY r.number DESC LIMIT %s) AS b{i}"
            for i in range(branches)
        )
    else:
        ids = f"SELECT id FROM {table} r WHERE {where} ORDER BY r.number DESC LIMIT %s"
    return (
        f"SELECT r.number, r.order_number, a.name, r.status FROM {table} r "
        f"LEFT JOIN {ACCOUNT_BALANCE.table} a ON a.id = r.account_id "
        f"WHERE r.id IN ({ids}) ORDER BY r.number DESC LIMIT %s"
    )


def list_refills(
    db: Database,
    statuses: Sequence[str] = (),
    account: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> Page:
    conditions: list[str] = []
    params: list[Any] = []
    if account is not None:
        conditions.append("r.account_id = %s")
        params.append(known_account(db, account))
    if before is not None:
        conditions.append("r.number < %s")
        params.append(before)
    wanted = list(dict.fromkeys(statuses))
    per_page = limit + 1
    if wanted:
        values = [v for status in wanted for v in (status, *params, per_page)]
    else:
        values = [*params, per_page]
    rows = db.alone(refills_sql(len(wanted), conditions), [*values, per_page])
    lines = [RefillLine(int(n), int(o), str(a or ""), str(s)) for n, o, a, s in rows]
    return paged(lines, limit)


def list_accounts(db: Database) -> list[AccountBalanceRow]:
    """Every account, by name (a ledger holds a handful to a few thousand)."""
    names = ", ".join(column_names(Target.live(ACCOUNT_BALANCE)))
    rows = db.alone(f"SELECT {names} FROM {ACCOUNT_BALANCE.table} ORDER BY name")
    return [ACCOUNT_BALANCE.from_db(row) for row in rows]
