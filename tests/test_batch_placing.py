"""Many `add`s of one account committed together decide exactly as one at a time would."""

from __future__ import annotations

from decimal import Decimal

from orderledger.application.batch_placing import PlaceOrder
from orderledger.bootstrap import Store
from orderledger.domain.errors import (
    ActiveOrderWithLink,
    NotEnoughFunds,
    QuantityBelowMinimum,
    UnknownService,
)
from orderledger.domain.order import Order
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account


def add(link: str, quantity: int = 1000, service: int = 1) -> PlaceOrder:
    return PlaceOrder(service, {"link": link, "quantity": str(quantity)})


def test_a_batch_never_spends_more_than_the_balance(store: Store) -> None:
    store.ledger.sync_services([entry(1)])  # 2.50 per 1000
    account, _ = open_account(store, deposit="6")
    outcomes = store.ledger.place_orders(account.id, [add("a"), add("b"), add("c"), add("d")])
    assert [type(o) for o in outcomes] == [Order, Order, NotEnoughFunds, NotEnoughFunds]
    assert store.ledger.account("network").balance == Decimal("1.00000")


def test_a_refused_order_does_not_stop_the_others(store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    outcomes = store.ledger.place_orders(
        account.id,
        [add("a"), add("b", service=99), add("c", quantity=5), add("a"), add("d")],
    )
    kinds = [type(o) for o in outcomes]
    assert kinds == [Order, UnknownService, QuantityBelowMinimum, ActiveOrderWithLink, Order]
    placed = [o for o in outcomes if isinstance(o, Order)]
    assert [store.ledger.order(o.number) is not None for o in placed] == [True, True]
    assert store.ledger.account("network").balance == Decimal("95.00000")


def test_batched_orders_are_numbered_in_order_and_projected(store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    outcomes = store.ledger.place_orders(account.id, [add(f"link-{i}") for i in range(5)])
    numbers = [o.number for o in outcomes if isinstance(o, Order)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    store.projector().catch_up()
    with store.db.transaction() as cursor:
        cursor.execute("SELECT number, status FROM orderledger_order_status ORDER BY number")
        assert cursor.fetchall() == [(n, "Pending") for n in numbers]


def test_a_link_taken_before_the_batch_is_refused_in_it(store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    store.ledger.place_order(account.id, 1, {"link": "busy", "quantity": "1000"})
    outcomes = store.ledger.place_orders(account.id, [add("busy"), add("free")])
    assert [type(o) for o in outcomes] == [ActiveOrderWithLink, Order]


def test_each_batch_is_priced_by_the_service_as_another_process_left_it(
    settings: Settings, store: Store
) -> None:
    store.ledger.sync_services([entry(1)])  # 2.50 per 1000
    account, _ = open_account(store)
    (first,) = store.ledger.place_orders(account.id, [add("a")])  # the service is read here
    other = Store.open(settings)  # another worker, changing the catalogue meanwhile
    try:
        other.ledger.sync_services([entry(1, rate=Decimal("5.00"))])
        (repriced,) = store.ledger.place_orders(account.id, [add("b")])
        other.ledger.disable_services([1])
        (refused,) = store.ledger.place_orders(account.id, [add("c")])
        other.ledger.sync_services([entry(1, rate=Decimal("5.00"))])  # listed again
        (again,) = store.ledger.place_orders(account.id, [add("d")])
    finally:
        other.close()
    assert isinstance(first, Order) and first.charge == Decimal("2.50000")
    assert isinstance(repriced, Order) and repriced.charge == Decimal("5.00000")
    assert isinstance(refused, UnknownService)
    assert isinstance(again, Order) and again.charge == Decimal("5.00000")
    assert store.ledger.account("network").balance == Decimal("87.50000")


def test_a_batch_sees_what_another_process_charged_the_account_since_the_last(
    settings: Settings, store: Store
) -> None:
    store.ledger.sync_services([entry(1)])  # 2.50 per 1000
    account, _ = open_account(store, deposit="6")
    (first,) = store.ledger.place_orders(account.id, [add("a")])  # 3.50 left, as this one saw
    other = Store.open(settings)
    try:
        (elsewhere,) = other.ledger.place_orders(account.id, [add("b")])  # 1.00 left
        (refused,) = store.ledger.place_orders(account.id, [add("c")])
        other.ledger.deposit("network", Decimal("1.50"))  # 2.50 left
        (last,) = store.ledger.place_orders(account.id, [add("d")])
    finally:
        other.close()
    assert [type(o) for o in (first, elsewhere, refused, last)] == [
        Order,
        Order,
        NotEnoughFunds,
        Order,
    ]
    assert store.ledger.account("network").balance == Decimal("0.00000")
