"""PostgreSQL's stored `status` answer is, byte for byte, the one `views.status_answer`
defines, for every order state a row can hold.

The stored answer (`projections.order_status.ANSWER_SQL`, a generated column) is a second
spelling of that definition, in SQL, because a projection may not import the read side:
this is what holds the two together. The answer has no field of a subscription's own (its
posts reach it only as charge and remains), so the states are those of the five fields.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderledger.bootstrap import Store
from orderledger.domain.order import OrderStatus
from orderledger.projections.order_status import ANSWER_COLUMN, ORDER_STATUS, OrderStatusRow
from orderledger.projections.tables import Target, insert_rows
from orderledger.views.status_answer import status_answer

BIGINT = 2**63 - 1
# Charges as the projection writes them (five places) and as other text might hold them
# (fewer places, more places to round half-up, large amounts, exponents: str(Decimal)).
# The ledger keeps amounts to five places in Decimal's 28 digits: below 10**23.
MAX_UNITS = 10**22 - 1
CHARGES = st.builds(
    lambda units, places: Decimal(units).scaleb(-places),
    st.one_of(st.integers(0, 10**7), st.integers(0, MAX_UNITS)),
    st.integers(0, 7),
)
CURRENCIES = st.one_of(
    st.sampled_from(["USD", "EUR", "RUB", "GBP"]),
    # Any text PostgreSQL can hold (no NUL, no lone surrogate): the answer quotes it.
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8),
)


@st.composite
def order_rows(draw: st.DrawFn) -> OrderStatusRow:
    quantity = draw(st.one_of(st.integers(1, 10_000), st.integers(1, BIGINT)))
    remains = draw(st.one_of(st.just(0), st.just(quantity), st.integers(0, quantity)))
    return OrderStatusRow(
        id=str(uuid4()),
        number=0,  # numbered when written
        account_id=str(uuid4()),
        service=1,
        status=draw(st.sampled_from([status.value for status in OrderStatus])),
        charge=draw(CHARGES),
        start_count=draw(st.one_of(st.just(0), st.integers(0, 1000), st.integers(0, BIGINT))),
        quantity=quantity,
        remains=remains,
        currency=draw(CURRENCIES),
        placed_at="2026-01-01T00:00:00+00:00",
    )


def stored_answers(store: Store, rows: list[OrderStatusRow]) -> list[bytes]:
    """Each row written by the projection's own writer, and its stored answer read back; the
    rows are gone again afterwards."""
    target = Target.live(ORDER_STATUS)
    numbered = [
        OrderStatusRow(**{**row.__dict__, "number": i}) for i, row in enumerate(rows, start=1)
    ]
    with store.db.transaction() as cursor:
        insert_rows(cursor, target, numbered, store.backend)
        cursor.execute(f"SELECT number, {ANSWER_COLUMN} FROM {ORDER_STATUS.table} ORDER BY number")
        answers = [str(answer).encode() for _, answer in cursor.fetchall()]
        cursor.execute(f"DELETE FROM {ORDER_STATUS.table}")
    return answers


@pytest.mark.parametrize("backend", ["postgres"])  # the stored answer is PostgreSQL's
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(order_rows(), min_size=1, max_size=12))
def test_the_stored_answer_is_the_defined_answer_for_random_order_states(
    store: Store, rows: list[OrderStatusRow]
) -> None:
    expected = [msgspec.json.encode(status_answer(row)) for row in rows]
    assert stored_answers(store, rows) == expected


@pytest.mark.parametrize("backend", ["postgres"])
def test_the_stored_answer_is_the_defined_answer_for_every_status_at_the_edges(
    store: Store,
) -> None:
    """Every status with the start count absent (0) and large, remains none, some and all,
    and charges of no to seven places."""
    edges = [
        (0, 0, "0.00000"),
        (2**63 - 1, 100, "7"),
        (12, 40, "0.12345"),
        (0, 100, "123456789012345.1"),
        (5, 1, "2.000005"),
        (0, 0, "1E+3"),
    ]
    rows = [
        OrderStatusRow(
            id=str(uuid4()),
            number=0,
            account_id=str(uuid4()),
            service=1,
            status=status.value,
            charge=Decimal(charge),
            start_count=start_count,
            quantity=100,
            remains=remains,
            currency="USD",
            placed_at="2026-01-01T00:00:00+00:00",
        )
        for status in OrderStatus
        for start_count, remains, charge in edges
    ]
    expected = [msgspec.json.encode(status_answer(row)) for row in rows]
    assert stored_answers(store, rows) == expected
    assert len({answer for answer in expected}) == len(rows)  # every row a different answer
