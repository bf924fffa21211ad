"""The ledger's one bound on amounts: every amount and every total it computes stays in the
exact range of five places in Decimal's 28 digits, and what would leave it is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import uuid4

import pytest
from hypothesis import given as hypothesis_given
from hypothesis import strategies as st

from orderledger.domain.account import Account, Billing
from orderledger.domain.claims import STAFF
from orderledger.domain.errors import AmountOutOfRange, NotEnoughFunds
from orderledger.domain.money import (
    MAX_AMOUNT,
    MAX_TOTAL,
    InvalidAmount,
    charge_for,
    checked_amount,
    money,
    share_of,
    wire,
)
from orderledger.domain.order import Order

LARGEST = Decimal("999999999999.99999")  # the largest amount an operator or catalogue may give
BIGINT = 2**63 - 1


def old_money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)


def test_the_bounds_are_what_the_docstring_reasons_from() -> None:
    assert MAX_AMOUNT == 10**12 and MAX_TOTAL == 10**18
    assert MAX_AMOUNT - Decimal("0.00001") == LARGEST


@pytest.mark.parametrize("value", ["1e23", "-1e23", "123456789012345678901234.5", "NaN", "inf"])
def test_money_refuses_what_five_places_cannot_hold_with_a_clear_message(value: str) -> None:
    with pytest.raises(InvalidAmount, match="amount"):
        money(Decimal(value))


def test_money_keeps_the_largest_amount_it_can_hold() -> None:
    largest = Decimal("99999999999999999999999.99999")
    assert money(largest) == largest and wire(largest) == "99999999999999999999999.99999"


@hypothesis_given(
    st.builds(
        lambda units, places: Decimal(units).scaleb(-places),
        st.integers(-(10**22), 10**22),
        st.integers(0, 9),
    )
)
def test_money_answers_as_before_for_every_amount_in_range(value: Decimal) -> None:
    assert money(value) == old_money(value) and str(money(value)) == str(old_money(value))


@pytest.mark.parametrize("value", ["0", "0.00001", "25.125", "25.12500000", str(LARGEST), "-5"])
def test_an_amount_below_the_bound_with_five_places_at_most_is_taken(value: str) -> None:
    assert checked_amount(Decimal(value)) == old_money(Decimal(value))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1000000000000", "below 1000000000000"),
        ("-1000000000000", "below 1000000000000"),
        ("1e22", "below 1000000000000"),
        ("99999999999999999999999", "below 1000000000000"),
        ("0.000001", "five decimal places"),
        ("0.000005", "five decimal places"),
        ("1.123456", "five decimal places"),
    ],
)
def test_an_amount_past_the_bound_or_below_the_precision_is_refused(
    value: str, reason: str
) -> None:
    with pytest.raises(InvalidAmount, match=reason):
        checked_amount(Decimal(value))


# ---- charges -------------------------------------------------------------------------------


@hypothesis_given(
    st.builds(lambda units: Decimal(units).scaleb(-4), st.integers(0, 10**16)),
    st.integers(1, 10**12),
)
def test_a_charge_in_range_is_what_it_was(rate: Decimal, quantity: int) -> None:
    # Rates as real catalogues write them (four places at most), quantities services allow.
    expected = old_money(rate * quantity / 1000)
    if expected < MAX_TOTAL:
        assert charge_for(rate, quantity, flat=False) == expected


def test_the_largest_charge_a_service_can_ask_is_refused_not_rounded() -> None:
    # The largest rate times the largest quantity (a service's max) and a thousand runs.
    with pytest.raises(NotEnoughFunds):
        charge_for(LARGEST, BIGINT * 1000, flat=False)
    with pytest.raises(NotEnoughFunds):
        charge_for(Decimal("1e30"), 1, flat=True)


def test_a_charge_just_below_the_total_bound_is_exact() -> None:
    assert charge_for(Decimal(1000), 10**18 - 1, flat=False) == Decimal("999999999999999999.00000")
    with pytest.raises(NotEnoughFunds):
        charge_for(Decimal(1000), 10**18, flat=False)


def test_a_charge_is_rounded_once_half_up_from_the_exact_product() -> None:
    # 28 digits would round the product to ...30.000005 and then up; it is just below that.
    rate, quantity = Decimal("30000.00500999999999999999"), 10**15 + 1
    assert charge_for(rate, quantity, flat=False) == Decimal("30000005010000030.00000")


def test_a_share_is_rounded_once_half_up_from_the_exact_product() -> None:
    # 28 digits would round charge × part to exactly a half and then up.
    charge, part, whole = Decimal("100000000000000000.00007"), 166666666666666666667, 10**21 + 1
    assert share_of(charge, part, whole) == Decimal("16666666666666666.66669")


@hypothesis_given(
    st.integers(0, 10**23 - 1).map(lambda units: Decimal(units).scaleb(-5)),
    st.integers(1, BIGINT * 1000),
    st.data(),
)
def test_a_share_is_the_exact_share_rounded_half_up(
    charge: Decimal, whole: int, data: st.DataObject
) -> None:
    part = data.draw(st.integers(0, whole))
    units = int(charge.scaleb(5)) * part
    quotient, remainder = divmod(units, whole)
    expected = quotient + (1 if 2 * remainder >= whole else 0)
    assert share_of(charge, part, whole) == Decimal(expected).scaleb(-5)


def test_a_share_in_the_usual_range_is_what_it_was() -> None:
    assert share_of(Decimal("7.50000"), 1, 3) == Decimal("2.50000")
    assert share_of(Decimal("10.00000"), 2, 3) == Decimal("6.66667")
    assert share_of(Decimal("0.00001"), 1, 2) == Decimal("0.00001")  # half-up, not to even


# ---- the account keeps its totals in range ---------------------------------------------------


def prepaid() -> Account:
    account = Account(name="a", currency="USD", billing=Billing.PREPAID.value, credit=Decimal(0))
    account.collect_events()
    return account


def postpaid() -> Account:
    account = Account.open("p", "USD", Billing.POSTPAID, LARGEST)
    account.collect_events()
    return account


def test_a_deposit_past_the_bound_is_refused_and_nothing_recorded() -> None:
    account = prepaid()
    for amount in ("1e22", "1000000000000", "0.000001"):
        with pytest.raises(AmountOutOfRange):
            account.deposit(Decimal(amount))
    assert account.collect_events() == [] and account.deposits == 0


def test_the_largest_deposit_is_recorded_exactly() -> None:
    account = prepaid()
    account.deposit(LARGEST)
    [deposited] = account.collect_events()
    assert isinstance(deposited, Account.Deposited) and deposited.amount == LARGEST


def test_deposits_stop_below_the_total_bound() -> None:
    account = prepaid()
    account.record_deposit(MAX_TOTAL - LARGEST)  # given: a million of the largest deposits
    account.collect_events()
    with pytest.raises(AmountOutOfRange, match="deposits"):
        account.deposit(LARGEST)
    account.deposit(LARGEST - Decimal("0.00001"))
    assert account.deposits == MAX_TOTAL - Decimal("0.00001")


def test_a_postpaid_account_is_not_charged_past_the_total_bound() -> None:
    account = postpaid()
    account.charge(1, MAX_TOTAL - Decimal("0.00001"))
    with pytest.raises(NotEnoughFunds):
        account.charge(2, Decimal("0.00001"))
    [charged] = account.collect_events()
    assert isinstance(charged, Account.Charged) and account.charges == MAX_TOTAL - Decimal(
        "0.00001"
    )


def test_a_prepaid_account_refunded_and_charged_again_stops_at_the_bound() -> None:
    account = prepaid()
    account.record_deposit(MAX_TOTAL - 1)
    account.record_charge(order_number=1, amount=MAX_TOTAL - 1)
    account.record_refund(order_number=1, amount=MAX_TOTAL - 1)
    account.collect_events()
    with pytest.raises(NotEnoughFunds):
        account.charge(2, Decimal(2))
    assert account.collect_events() == []


@pytest.mark.parametrize("credit", ["1000000000000", "1e22", "0.000001"])
def test_a_postpaid_figure_past_the_bound_is_refused(credit: str) -> None:
    with pytest.raises(AmountOutOfRange):
        Account.open("p", "USD", Billing.POSTPAID, Decimal(credit))


def test_a_post_charged_past_the_bound_is_refused_and_nothing_recorded() -> None:
    subs = Order(
        number=7,
        account_id=uuid4(),
        currency="USD",
        service_number=1,
        service_type="Subscriptions",
        link="",
        quantity=0,
        runs=None,
        interval=None,
        charged_quantity=0,
        charge=Decimal(0),
        details={"min": "1", "max": str(BIGINT)},
    )
    subs.collect_events()
    payer = postpaid()
    with pytest.raises(NotEnoughFunds):
        subs.report_post("p1", BIGINT, lambda: LARGEST, payer, STAFF, datetime.now(UTC))
    assert subs.collect_events() == [] and payer.collect_events() == []
    assert subs.report_post("p1", 1000, lambda: LARGEST, payer, STAFF, datetime.now(UTC))
    assert payer.charges == LARGEST
