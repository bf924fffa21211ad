"""PostgreSQL's stored `balance` answer is, byte for byte, the one `views.balance_answer`
defines, for every row an account can have.

The stored answer (`projections.account_balance.ANSWER_SQL`, a generated column) is a second
spelling of that definition, in SQL, because a projection may not import the read side: this
is what holds the two together. The answer shows one amount (the credit of a postpaid account,
the balance of any other) and the currency, so the rows are those of the billing, the two
amounts and the currency.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderledger.bootstrap import Store
from orderledger.domain.account import Billing
from orderledger.domain.money import EXACT_LIMIT, MAX_AMOUNT, MAX_TOTAL
from orderledger.projections.account_balance import (
    ACCOUNT_BALANCE,
    ANSWER_COLUMN,
    AccountBalanceRow,
)
from orderledger.projections.tables import Target, insert_rows
from orderledger.views.balance_answer import balance_answer

# Amounts as the projection writes them (five places: every amount the ledger computes) and as
# other text might hold them (fewer places, more places to round half-up, exponents: `str` of a
# Decimal), of every magnitude the ledger holds: one amount below MAX_AMOUNT, a balance below
# 10**19 (credit + four totals below MAX_TOTAL), anything five places hold exactly below
# EXACT_LIMIT; negative too (a postpaid account that owes, a balance a refund of an adjustment
# took below zero).
LARGEST_UNITS = int(EXACT_LIMIT * 10**5) - 1
AMOUNTS = st.builds(
    lambda sign, units, places: (Decimal(units) * sign).scaleb(-places),
    st.sampled_from([1, -1]),
    st.one_of(
        st.integers(0, 10**7),
        st.integers(0, int(MAX_AMOUNT * 10**5) - 1),
        st.integers(0, int(MAX_TOTAL * 4 * 10**5)),
        st.integers(0, LARGEST_UNITS),
    ),
    st.one_of(st.integers(0, 5), st.integers(-3, 8)),
).filter(lambda amount: abs(amount) < EXACT_LIMIT)
CURRENCIES = st.one_of(
    st.sampled_from(["USD", "EUR", "RUB", "GBP"]),
    # Any text PostgreSQL can hold (no NUL, no lone surrogate): the answer quotes it.
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8),
)
BILLINGS = st.sampled_from([billing.value for billing in Billing])


@st.composite
def balance_rows(draw: st.DrawFn) -> AccountBalanceRow:
    return AccountBalanceRow(
        id=str(uuid4()),
        name="",  # named when written (the names are unique)
        currency=draw(CURRENCIES),
        billing=draw(BILLINGS),
        credit=draw(AMOUNTS),
        deposits=draw(AMOUNTS),
        charges=draw(AMOUNTS),
        refunds=draw(AMOUNTS),
        balance=draw(AMOUNTS),
        adjustments=draw(AMOUNTS),
    )


def stored_answers(store: Store, rows: list[AccountBalanceRow]) -> list[bytes]:
    """Each row written by the projection's own writer, and its stored answer read back, in
    the rows' order; the rows are gone again afterwards."""
    target = Target.live(ACCOUNT_BALANCE)
    named = [
        AccountBalanceRow(**{**row.__dict__, "name": f"{i:06d}"}) for i, row in enumerate(rows)
    ]
    with store.db.transaction() as cursor:
        cursor.execute(f"DELETE FROM {ACCOUNT_BALANCE.table}")
        insert_rows(cursor, target, named, store.backend)
        cursor.execute(f"SELECT name, {ANSWER_COLUMN} FROM {ACCOUNT_BALANCE.table} ORDER BY name")
        answers = [str(answer).encode() for _, answer in cursor.fetchall()]
        cursor.execute(f"DELETE FROM {ACCOUNT_BALANCE.table}")
    return answers


def defined(rows: list[AccountBalanceRow]) -> list[bytes]:
    return [msgspec.json.encode(balance_answer(row)) for row in rows]


@pytest.mark.parametrize("backend", ["postgres"])  # the stored answer is PostgreSQL's
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(balance_rows(), min_size=1, max_size=12))
def test_the_stored_answer_is_the_defined_answer_for_random_rows(
    store: Store, rows: list[AccountBalanceRow]
) -> None:
    assert stored_answers(store, rows) == defined(rows)


EDGE_AMOUNTS = [
    "0.00000",
    "0",
    "-0",
    "-0.00000",
    "0E-7",
    "-0E+2",
    "-0.000004",  # rounds to a negative zero, as Decimal keeps it
    "-0.000005",
    "0.000005",
    "0.000004",
    "2.000005",
    "-2.000005",
    "1E+3",
    "1.5E+2",
    "7",
    "-7",
    "0.1",
    "-0.12",
    "123.456",
    "-9999.9999",
    "0.12345",
    "-0.12345",
    "999999999999.99999",  # the largest single amount
    "-999999999999.99999",
    "3000000000999999999.99999",  # past what any balance reaches
    "-2999999999999999999.99999",
    "99999999999999999999999.99999",  # the most five places hold exactly
    "-99999999999999999999999.99999",
]
EDGE_CURRENCIES = ["USD", "", 'a"b', "back\\slash", "\n\t\r\b\f", "\x01\x1f\x7f", "€ü", "\u2028"]


@pytest.mark.parametrize("backend", ["postgres"])
def test_the_stored_answer_is_the_defined_answer_at_the_edges(store: Store) -> None:
    """Each edge amount as a prepaid account's balance and as a postpaid account's credit
    (with the other amount something else), in currencies that need escaping."""
    other = Decimal("42.00000")
    rows = [
        AccountBalanceRow(
            id=str(uuid4()),
            name="",
            currency=currency,
            billing=billing.value,
            credit=Decimal(amount) if billing is Billing.POSTPAID else other,
            deposits=other,
            charges=other,
            refunds=other,
            balance=other if billing is Billing.POSTPAID else Decimal(amount),
        )
        for billing in Billing
        for currency in EDGE_CURRENCIES
        for amount in EDGE_AMOUNTS
    ]
    expected = defined(rows)
    assert stored_answers(store, rows) == expected
    half = len(rows) // 2  # each billing shows its own amount, the same edges
    assert expected[:half] == expected[half:]
    shown = [msgspec.json.decode(answer)["balance"] for answer in expected[: len(EDGE_AMOUNTS)]]
    assert [shown[EDGE_AMOUNTS.index(a)] for a in ("-0", "-0.000004", "-0.000005")] == [
        "-0.00000",
        "-0.00000",
        "-0.00001",
    ]
