"""Defects the model test found that issue 15 does not list, each reduced to its smallest case."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from orderledger.bootstrap import Store
from orderledger.domain.order import Order
from tests.conftest import entry, open_account


def test_a_subscription_post_is_charged_at_the_rate_of_its_placement(store: Store) -> None:
    """README: each post is charged "at rate × quantity / 1000 (the service's rate when the
    order was placed)"; it was charged at the catalogue's rate at the time of the post."""
    store.ledger.sync_services([entry(3, "Subscriptions", rate=Decimal("4.00"), min=100, max=500)])
    account, _ = open_account(store, deposit="100")
    order = store.ledger.place_order(
        account.id, 3, {"username": "alice", "min": "100", "max": "500", "delay": "0"}
    )
    store.ledger.sync_services([entry(3, "Subscriptions", rate=Decimal("8.00"), min=100, max=500)])
    posted = store.ledger.report_post(order.number, "p1", 100, datetime.now(UTC))
    assert posted.charge == Decimal("0.40000")


def test_a_subscription_placed_before_orders_kept_their_rate_is_charged_at_the_rate_then(
    store: Store,
) -> None:
    """An order recorded without `details["rate"]` (as every order was before) is charged at
    the rate its service had when it was placed, read from the service's history."""
    store.ledger.sync_services([entry(3, "Subscriptions", rate=Decimal("4.00"), min=100, max=500)])
    account, _ = open_account(store, deposit="100")
    old = Order(
        number=store.ledger.sequences.next_number("order"),
        account_id=account.id,
        currency="USD",
        service_number=3,
        service_type="Subscriptions",
        link="",
        quantity=0,
        runs=None,
        interval=None,
        charged_quantity=0,
        charge=Decimal("0.00000"),
        details={"username": "alice", "min": 100, "max": 500, "delay": 0},
    )
    store.ledger.save(old)
    store.ledger.sync_services([entry(3, "Subscriptions", rate=Decimal("8.00"), min=100, max=500)])
    posted = store.ledger.report_post(old.number, "p1", 100, datetime.now(UTC))
    assert posted.charge == Decimal("0.40000")
    assert store.ledger.account(account.id).balance == Decimal("99.60000")


SUBSCRIPTION = {"username": "alice", "min": "100", "max": "500", "posts": "1", "delay": "0"}


def test_a_subscription_sent_with_a_link_frees_it_when_its_posts_complete_it(store: Store) -> None:
    store.ledger.sync_services([entry(3, "Subscriptions", rate=Decimal("4.00"), min=100, max=500)])
    account, _ = open_account(store, deposit="100")
    first = store.ledger.place_order(account.id, 3, {**SUBSCRIPTION, "link": "https://x/alice"})
    done = store.ledger.report_post(first.number, "p1", 100, datetime.now(UTC))
    assert done.status.value == "Completed"
    again = store.ledger.place_order(account.id, 3, {**SUBSCRIPTION, "link": "https://x/alice"})
    assert again.number > first.number


def test_a_subscription_sent_with_a_link_frees_it_when_it_expires(store: Store) -> None:
    store.ledger.sync_services([entry(3, "Subscriptions", rate=Decimal("4.00"), min=100, max=500)])
    account, _ = open_account(store, deposit="100")
    fields = {**SUBSCRIPTION, "link": "https://x/bob", "expiry": "31/01/2099"}
    first = store.ledger.place_order(account.id, 3, fields)
    ended = store.ledger.end_subscription(first.number, datetime(2099, 2, 1, tzinfo=UTC))
    assert ended.status.value == "Completed"
    again = store.ledger.place_order(account.id, 3, fields)
    assert again.number > first.number
