"""Each account's money: what `balance` answers and what verify checks adds up."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from orderledger.domain.account import Account
from orderledger.domain.money import ZERO
from orderledger.projections.base import Projection


@dataclass(frozen=True)
class AccountBalanceRow:
    id: str
    name: str
    currency: str
    billing: str
    credit: Decimal
    deposits: Decimal
    charges: Decimal
    refunds: Decimal
    balance: Decimal  # credit + deposits - charges + refunds


def with_balance(row: AccountBalanceRow) -> AccountBalanceRow:
    return replace(row, balance=row.credit + row.deposits - row.charges + row.refunds)


def evolve(row: AccountBalanceRow | None, event: Any) -> AccountBalanceRow | None:
    if isinstance(event, Account.Opened):
        return with_balance(
            AccountBalanceRow(
                id=str(event.originator_id),
                name=event.name,
                currency=event.currency,
                billing=event.billing,
                credit=event.credit,
                deposits=ZERO,
                charges=ZERO,
                refunds=ZERO,
                balance=ZERO,
            )
        )
    if row is None:
        return None
    match event:
        case Account.Deposited():
            return with_balance(replace(row, deposits=row.deposits + event.amount))
        case Account.Charged():
            return with_balance(replace(row, charges=row.charges + event.amount))
        case Account.Refunded():
            return with_balance(replace(row, refunds=row.refunds + event.amount))
    return row


ACCOUNT_BALANCE = Projection(
    name="account_balance",
    table="orderledger_account_balance",
    row_type=AccountBalanceRow,
    events=(Account.Opened, Account.Deposited, Account.Charged, Account.Refunded),
    evolve=evolve,
    unique=("name",),
)
