"""The ledger's decisions, given / when / then, on in-memory persistence."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orderledger.application.ledger import Ledger
from orderledger.domain.account import Billing
from orderledger.domain.errors import (
    AccountExists,
    ActiveOrderWithLink,
    InvalidTransition,
    NotEnoughFunds,
    OrderNotCancelable,
    OrderNotRefillable,
    UnknownOrder,
    UnknownService,
)
from orderledger.domain.order import Order, OrderStatus
from tests.conftest import entry


class CountingSequences:
    def __init__(self) -> None:
        self.counters = {"order": itertools.count(1), "refill": itertools.count(1)}

    def next_number(self, name: str) -> int:
        return next(self.counters[name])


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger(CountingSequences(), env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    ledger.sync_services(
        [
            entry(1),
            entry(2, refill=True, cancel=True, refill_days=30),
            entry(3, "Package", rate=Decimal("12")),
        ]
    )
    ledger.open_account("net", "EUR", Billing.PREPAID)
    ledger.deposit("net", Decimal("10"))
    return ledger


def place(
    ledger: Ledger, service: int = 1, link: str = "https://x", quantity: str = "1000"
) -> Order:
    return ledger.place_order(
        ledger.account("net").id, service, {"link": link, "quantity": quantity}
    )


def new_events(ledger: Ledger, order: Order) -> list[str]:
    return [type(e).__qualname__ for e in ledger.events.get(order.id)]


def test_placing_charges_the_account_in_the_same_transaction(ledger: Ledger) -> None:
    order = place(ledger)
    assert order.charge == Decimal("2.50000")
    assert ledger.account("net").balance == Decimal("7.50000")
    assert new_events(ledger, order) == ["Order.Placed"]
    account_events = [type(e).__qualname__ for e in ledger.events.get(ledger.account("net").id)]
    assert account_events[-1] == "Account.Charged"


def test_order_numbers_are_positive_and_increasing(ledger: Ledger) -> None:
    numbers = [place(ledger, link=f"https://x/{i}").number for i in range(3)]
    assert numbers == sorted(numbers) and numbers[0] > 0 and len(set(numbers)) == 3


def test_a_prepaid_account_refuses_what_it_cannot_pay_and_records_nothing(ledger: Ledger) -> None:
    with pytest.raises(NotEnoughFunds):
        place(ledger, quantity="5000")  # 12.50 > 10
    assert ledger.account("net").balance == Decimal("10.00000")
    assert ledger.order(1) is None


def test_a_postpaid_account_is_never_refused_and_owes_what_it_spent(ledger: Ledger) -> None:
    ledger.open_account("post", "USD", Billing.POSTPAID, Decimal("500"))
    account = ledger.account("post")
    ledger.place_order(account.id, 1, {"link": "l", "quantity": "10000"})
    ledger.place_order(account.id, 3, {"link": "l"})
    account = ledger.account("post")
    assert account.owed == Decimal("37.00000")
    assert account.balance == Decimal("463.00000")


def test_the_same_link_twice_while_the_first_is_unfinished_is_refused(ledger: Ledger) -> None:
    first = place(ledger)
    with pytest.raises(ActiveOrderWithLink):
        place(ledger)
    place(ledger, service=2)  # another service with the same link is fine
    ledger.complete_order(first.number)
    assert place(ledger).number > first.number  # finished: the link is free again


def test_a_disabled_service_takes_no_orders(ledger: Ledger) -> None:
    ledger.disable_services([1])
    with pytest.raises(UnknownService):
        place(ledger)


def test_partial_refunds_the_undelivered_share(ledger: Ledger) -> None:
    order = place(ledger, quantity="300")  # 0.75
    ledger.start_order(order.number, 12)
    ledger.report_delivery(order.number, 100)
    stopped = ledger.stop_partial(order.number, remains=200)
    assert stopped.status is OrderStatus.PARTIAL
    assert stopped.refunded == Decimal("0.50000")
    assert stopped.net_charge == Decimal("0.25000")
    assert ledger.account("net").balance == Decimal("9.75000")
    assert new_events(ledger, order)[-1] == "Order.PartiallyCompleted"


@pytest.mark.parametrize("finish", ["cancel", "fail"])
def test_canceled_and_failed_refund_the_whole_charge(ledger: Ledger, finish: str) -> None:
    order = place(ledger)
    if finish == "cancel":
        ledger.cancel_order(order.number)
    else:
        ledger.fail_order(order.number, "link is private")
    assert ledger.order(order.number).net_charge == Decimal("0.00000")  # type: ignore[union-attr]
    assert ledger.account("net").balance == Decimal("10.00000")


def test_refunded_returns_what_a_partial_kept(ledger: Ledger) -> None:
    order = place(ledger, quantity="400")  # 1.00
    ledger.stop_partial(order.number, remains=100)  # refund 0.25
    ledger.refund_order(order.number)
    assert ledger.order(order.number).status is OrderStatus.REFUNDED  # type: ignore[union-attr]
    assert ledger.account("net").balance == Decimal("10.00000")


def test_a_repeated_report_records_nothing(ledger: Ledger) -> None:
    order = place(ledger)
    ledger.start_order(order.number, 5)
    ledger.report_delivery(order.number, 10)
    before = new_events(ledger, order)
    ledger.start_order(order.number, 5)
    ledger.report_delivery(order.number, 10)
    assert new_events(ledger, order) == before


def test_progress_never_goes_backwards_or_beyond_the_quantity(ledger: Ledger) -> None:
    order = place(ledger)
    ledger.report_delivery(order.number, 500)
    with pytest.raises(InvalidTransition):
        ledger.report_delivery(order.number, 400)
    with pytest.raises(InvalidTransition):
        ledger.report_delivery(order.number, 1001)
    ledger.complete_order(order.number)
    with pytest.raises(InvalidTransition):
        ledger.report_delivery(order.number, 900)


def test_cancel_requests_need_a_cancelable_unfinished_order(ledger: Ledger) -> None:
    account = ledger.account("net").id
    plain = place(ledger)
    with pytest.raises(OrderNotCancelable):
        ledger.request_cancel(account, plain.number)
    cancelable = place(ledger, service=2)
    assert ledger.request_cancel(account, cancelable.number).cancel_requested
    ledger.cancel_order(cancelable.number)
    with pytest.raises(OrderNotCancelable):
        ledger.request_cancel(account, cancelable.number)


def test_another_accounts_order_is_unknown(ledger: Ledger) -> None:
    order = place(ledger, service=2)
    ledger.open_account("other", "USD", Billing.PREPAID)
    with pytest.raises(UnknownOrder):
        ledger.request_cancel(ledger.account("other").id, order.number)


def test_refills_need_a_finished_refillable_order_in_its_window(ledger: Ledger) -> None:
    account = ledger.account("net").id
    order = place(ledger, service=2)
    with pytest.raises(OrderNotRefillable):
        ledger.request_refill(account, order.number)  # not finished yet
    ledger.complete_order(order.number)
    refill = ledger.request_refill(account, order.number)
    assert refill.number == 1
    with pytest.raises(OrderNotRefillable):
        ledger.request_refill(account, order.number)  # the first is still open
    ledger.complete_refill(refill.number)
    later = datetime.now(UTC) + timedelta(days=31)
    with pytest.raises(OrderNotRefillable):
        ledger.request_refill(account, order.number, now=later)
    assert ledger.request_refill(account, order.number).number == 2
    plain = place(ledger)
    ledger.complete_order(plain.number)
    with pytest.raises(OrderNotRefillable):
        ledger.request_refill(account, plain.number)  # service has no refill


def test_an_account_name_is_opened_once(ledger: Ledger) -> None:
    with pytest.raises(AccountExists):
        ledger.open_account("net", "USD", Billing.PREPAID)


def test_reimporting_records_only_changes(ledger: Ledger) -> None:
    assert ledger.sync_services([entry(1), entry(2, refill=True, cancel=True)]) == 0
    assert ledger.sync_services([entry(1, rate=Decimal("3"))]) == 1
    changed = ledger.service(1)
    assert changed is not None and changed.rate == Decimal("3")
    events = [type(e).__qualname__ for e in ledger.events.get(changed.id)]
    assert events == ["Service.Listed", "Service.Changed"]
    assert ledger.disable_services([1]) == 1
    assert ledger.sync_services([entry(1, rate=Decimal("3"))]) == 1  # enabled again
