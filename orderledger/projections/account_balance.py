"""Each account's money: what `balance` answers and what verify checks adds up."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orderledger.domain.account import Account, Billing
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
    balance: Decimal  # credit + deposits + adjustments - charges + refunds
    # The signed corrections (`Account.Adjusted`); last, as a start adds it to an older table.
    adjustments: Decimal = ZERO


def with_totals(
    row: AccountBalanceRow,
    deposits: Decimal,
    charges: Decimal,
    refunds: Decimal,
    adjustments: Decimal | None = None,
) -> AccountBalanceRow:
    """The row with these totals and the balance they give. One constructor call: two
    `dataclasses.replace` per charge were a tenth of a rebuild (an event per order)."""
    adjusted = row.adjustments if adjustments is None else adjustments
    return AccountBalanceRow(
        row.id,
        row.name,
        row.currency,
        row.billing,
        row.credit,
        deposits,
        charges,
        refunds,
        row.credit + deposits + adjusted - charges + refunds,
        adjusted,
    )


def evolve(row: AccountBalanceRow | None, event: Any) -> AccountBalanceRow | None:
    if isinstance(event, Account.Opened):
        opened = AccountBalanceRow(
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
        return with_totals(opened, ZERO, ZERO, ZERO)
    if row is None:
        return None
    match event:
        case Account.Deposited() | Account.DepositedWithNote():
            return with_totals(row, row.deposits + event.amount, row.charges, row.refunds)
        case Account.Charged():
            return with_totals(row, row.deposits, row.charges + event.amount, row.refunds)
        case Account.Refunded():
            return with_totals(row, row.deposits, row.charges, row.refunds + event.amount)
        case Account.Adjusted():
            adjustments = row.adjustments + event.amount
            return with_totals(row, row.deposits, row.charges, row.refunds, adjustments)
    return row


def five_places_sql(amount: str) -> str:
    """An amount stored as text (`str` of a Decimal; `amount` a column) written as
    `money.wire` writes it: kept as it is when it already has five places, else rounded
    half away from zero (PostgreSQL's `round` of a numeric, as `wire`'s half-up) to five
    places, keeping the minus of a negative amount that rounds to zero as Decimal does
    (PostgreSQL's numeric has no negative zero)."""
    rounded = f"round({amount}::numeric, 5)"
    return (
        f"CASE WHEN {amount} ~ '^-?(0|[1-9][0-9]*)\\.[0-9]{{5}}$' THEN {amount} "
        f"WHEN {amount} ~ '^-' AND {rounded} = 0 THEN '-0.00000' "
        f"ELSE {rounded}::text END"
    )


# On PostgreSQL each row also keeps the account's `balance` answer, as the JSON of the answer
# `views.balance_answer` defines (same fields, same order, no spaces): every `balance` of an
# account whose row has all its events is then answered by the key's own query
# (`views.key_lookups`). PostgreSQL derives it from the row whenever the row is written, so it
# follows the row. A projection may not import the read side, so this is a second spelling of
# that definition, held to it byte for byte (every amount within the ledger's bounds, both
# billings, any currency) by tests/views/test_stored_balance_answer.py.
#
# A start adds the column to a table that lacks it, but never alters one that has it: a
# change to the expression needs a new column name, which existing tables then gain.
ANSWER_COLUMN = "answer_v1"
# What the answer shows: a postpaid account its fixed figure (its credit), any other its balance.
SHOWN_SQL = (
    f"CASE WHEN billing = '{Billing.POSTPAID.value}' THEN {five_places_sql('credit')} "
    f"ELSE {five_places_sql('balance')} END"
)
ANSWER_SQL = (
    f"""'{{"balance":"' || {SHOWN_SQL} """
    """|| '","currency":' || orderledger_json_string(currency) || '}'"""
)

ACCOUNT_BALANCE = Projection(
    name="account_balance",
    table="orderledger_account_balance",
    row_type=AccountBalanceRow,
    events=(
        Account.Opened,
        Account.Deposited,
        Account.DepositedWithNote,
        Account.Charged,
        Account.Refunded,
        Account.Adjusted,
    ),
    evolve=evolve,
    unique=("name",),
    added_columns=(("adjustments", "'0.00000'"),),
    postgres_generated=((ANSWER_COLUMN, f"TEXT GENERATED ALWAYS AS ({ANSWER_SQL}) STORED"),),
)
