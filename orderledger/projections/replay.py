"""Rows folded straight from an aggregate's events, by the projection's own fold.

Serves read-your-writes (an id `add` just returned, before the runner has projected it) and
verification: the same `evolve` as the live tables, so the answers cannot drift apart.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from orderledger.domain.ids import order_id, refill_id
from orderledger.domain.ledger import Ledger
from orderledger.projections.account_balance import ACCOUNT_BALANCE, AccountBalanceRow
from orderledger.projections.base import Projection, fold
from orderledger.projections.order_status import ORDER_STATUS, OrderStatusRow
from orderledger.projections.refill_status import REFILL_STATUS, RefillStatusRow


def replay(ledger: Ledger, projection: Projection[Any], aggregate_id: UUID) -> Any:
    return fold(projection, ledger.events.get(aggregate_id)).get(str(aggregate_id))


def orders_of(ledger: Ledger, account_id: str, numbers: list[int]) -> dict[int, OrderStatusRow]:
    rows = {n: replay(ledger, ORDER_STATUS, order_id(n)) for n in numbers}
    return {n: row for n, row in rows.items() if row is not None and row.account_id == account_id}


def refills_of(ledger: Ledger, account_id: str, numbers: list[int]) -> dict[int, RefillStatusRow]:
    rows = {n: replay(ledger, REFILL_STATUS, refill_id(n)) for n in numbers}
    return {n: row for n, row in rows.items() if row is not None and row.account_id == account_id}


def balance_of(ledger: Ledger, account_id: str) -> AccountBalanceRow | None:
    row: AccountBalanceRow | None = replay(ledger, ACCOUNT_BALANCE, UUID(account_id))
    return row
