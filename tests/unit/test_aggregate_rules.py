"""Each aggregate's own rules, given (its events) / when (a command method) / then (the events
it records, or the refusal and nothing recorded). No ledger, no database."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate

from orderledger.domain.account import Account, Billing
from orderledger.domain.active_link import ActiveLink
from orderledger.domain.claims import STAFF, SWEEP, Reporter
from orderledger.domain.errors import (
    ClaimTaken,
    InvalidTransition,
    NotDue,
    NotEnoughFunds,
    OrderNotCancelable,
    OrderNotRefillable,
    UnknownService,
)
from orderledger.domain.order import Order, OrderStatus
from orderledger.domain.refill import Refill, RefillStatus
from orderledger.domain.service import Service
from tests.conftest import entry

NOW = datetime.now(UTC)
LEASE = timedelta(minutes=15)
BOT = Reporter("bot-1")
OTHER = Reporter("bot-2")


def order(**changes: Any) -> Order:
    """Given: an order placed (its events already recorded)."""
    fields: dict[str, Any] = {
        "number": 7,
        "account_id": uuid4(),
        "currency": "USD",
        "service_number": 1,
        "service_type": "Default",
        "link": "https://x",
        "quantity": 1000,
        "runs": None,
        "interval": None,
        "charged_quantity": 1000,
        "charge": Decimal("2.00"),
        "details": {},
    }
    placed = Order(**{**fields, **changes})
    placed.collect_events()
    return placed


def subscription(**details: Any) -> Order:
    return order(
        service_type="Subscriptions",
        charged_quantity=0,
        charge=Decimal(0),
        details={"min": "10", "max": "100", **details},
    )


def refused(error: type[Exception], text: str) -> AbstractContextManager[Any]:
    """Then: the command is refused with exactly this text."""
    return pytest.raises(error, match=f"^{re.escape(text)}$")


def given(aggregate: Aggregate) -> None:
    """What was done to the aggregate so far is past: only what follows is new."""
    aggregate.collect_events()


def new_events(aggregate: Aggregate) -> list[str]:
    return [type(event).__name__ for event in aggregate.collect_events()]


# ---- claims ---------------------------------------------------------------------------------


def test_a_claim_held_by_another_bot_refuses_the_claim() -> None:
    held = order()
    held.record_claim(operator="bot-2", expires_at=NOW + LEASE)
    given(held)
    with refused(ClaimTaken, "order 7 is claimed by bot-2"):
        held.claim("bot-1", LEASE, NOW)
    assert new_events(held) == []


def test_a_claim_that_ran_out_may_be_taken_by_another_bot() -> None:
    lapsed = order()
    lapsed.record_claim(operator="bot-2", expires_at=NOW - timedelta(seconds=1))
    given(lapsed)
    lapsed.claim("bot-1", LEASE, NOW)
    assert new_events(lapsed) == ["Claimed"]
    assert lapsed.claimed_by == "bot-1" and lapsed.claim_expires_at == NOW + LEASE


def test_a_finished_order_cannot_be_claimed() -> None:
    done = order()
    done.complete(STAFF, NOW)
    given(done)
    with refused(InvalidTransition, "order 7 is already Completed"):
        done.claim("bot-1", LEASE, NOW)


def drip_feed_with_its_first_run_delivered() -> Order:
    drip = order(quantity=100, runs=3, interval=60, charged_quantity=300)
    drip.claim("bot-1", LEASE, NOW)
    drip.report_delivery(100, BOT, NOW)
    given(drip)
    return drip


def test_the_next_drip_feed_run_is_not_handed_out_before_it_is_due() -> None:
    drip = drip_feed_with_its_first_run_delivered()
    due = NOW + timedelta(minutes=60)
    with refused(NotDue, f"run 2 of order 7 is due at {due}"):
        drip.claim("bot-1", LEASE, NOW + timedelta(minutes=30))
    assert new_events(drip) == []


def test_a_due_drip_feed_run_is_handed_out_with_the_claim() -> None:
    drip = drip_feed_with_its_first_run_delivered()
    drip.claim("bot-1", LEASE, NOW + timedelta(minutes=61))
    assert new_events(drip) == ["Claimed"]
    assert drip.run == 2 and drip.deliverable == 200


def test_only_the_holder_renews_a_claim_and_an_unclaimed_order_is_not_renewed() -> None:
    free = order()
    with refused(InvalidTransition, "order 7 is not claimed: claim it first"):
        free.renew_claim("bot-1", LEASE, NOW)
    free.claim("bot-1", LEASE, NOW)
    given(free)
    with refused(ClaimTaken, "order 7 is claimed by bot-1"):
        free.renew_claim("bot-2", LEASE, NOW)
    free.renew_claim("bot-1", LEASE, NOW + timedelta(minutes=10))
    assert new_events(free) == ["Claimed"]
    assert free.claim_expires_at == NOW + timedelta(minutes=10) + LEASE


def test_the_sweep_releases_only_a_claim_that_ran_out() -> None:
    held = order()
    held.claim("bot-1", LEASE, NOW)
    given(held)
    held.release_claim(None, NOW + timedelta(minutes=5))
    assert new_events(held) == []
    held.release_claim(None, NOW + LEASE)
    events = held.collect_events()
    assert [type(e).__name__ for e in events] == ["ClaimReleased"]
    assert isinstance(events[0], Order.ClaimReleased) and events[0].by == SWEEP.name
    assert held.status is OrderStatus.PENDING and held.claimed_by is None


def test_a_bot_cannot_release_another_bots_claim() -> None:
    held = order()
    held.claim("bot-1", LEASE, NOW)
    given(held)
    with refused(ClaimTaken, "order 7 is claimed by bot-1"):
        held.release_claim("bot-2", NOW)
    held.release_claim("bot-1", NOW)
    assert new_events(held) == ["ClaimReleased"]


# ---- reports --------------------------------------------------------------------------------


def test_a_report_on_an_order_another_bot_holds_is_refused() -> None:
    held = order()
    held.claim("bot-2", LEASE, NOW)
    given(held)
    with refused(ClaimTaken, "order 7 is claimed by bot-2"):
        held.start(5, BOT, NOW)
    held.start(5, STAFF, NOW)  # staff may act on any order
    assert new_events(held) == ["Started"]


def test_the_same_start_again_records_nothing_and_another_is_refused() -> None:
    started = order()
    started.start(5, BOT, NOW)
    given(started)
    started.start(5, BOT, NOW)
    assert new_events(started) == []
    with refused(InvalidTransition, "order 7 has already started"):
        started.start(6, BOT, NOW)


@pytest.mark.parametrize(
    "delivered, refusal",
    [
        (399, "delivered 399 is below the 400 already reported"),
        (1001, "delivered 1001 is more than the 1000 ordered"),
    ],
)
def test_delivery_never_goes_backwards_nor_beyond_what_was_ordered(
    delivered: int, refusal: str
) -> None:
    started = order()
    started.report_delivery(400, BOT, NOW)
    given(started)
    with refused(InvalidTransition, f"{refusal}"):
        started.report_delivery(delivered, BOT, NOW)
    assert new_events(started) == []


def test_a_drip_feed_delivers_only_the_runs_handed_out() -> None:
    drip = drip_feed_with_its_first_run_delivered()
    with refused(
        InvalidTransition, "delivered 150 is more than the 100 of the 1 run(s) handed out so far"
    ):
        drip.report_delivery(150, BOT, NOW)


def test_cancel_refunds_the_whole_charge_once_and_only_with_nothing_delivered() -> None:
    fresh = order()
    assert fresh.cancel(BOT, NOW) == Decimal("2.00")
    assert new_events(fresh) == ["Canceled"]
    assert fresh.cancel(BOT, NOW) is None  # the same report again
    assert new_events(fresh) == []
    delivering = order()
    delivering.report_delivery(10, BOT, NOW)
    given(delivering)
    with refused(InvalidTransition, "order 7 has delivered 10: stop it as partial"):
        delivering.cancel(BOT, NOW)


def test_a_partial_refunds_the_undelivered_share_within_what_remains() -> None:
    started = order()
    started.report_delivery(400, BOT, NOW)
    given(started)
    with refused(InvalidTransition, "remains must be between 1 and 600 for order 7"):
        started.stop_partial(601, BOT, NOW)
    assert started.stop_partial(600, BOT, NOW) == Decimal("1.20")
    assert new_events(started) == ["PartiallyCompleted"]
    assert started.stop_partial(600, BOT, NOW) is None


def test_only_a_completed_or_partial_order_is_refunded() -> None:
    fresh = order()
    with refused(
        InvalidTransition, "only a completed or partial order can be refunded, not Pending"
    ):
        fresh.refund(STAFF, NOW)
    fresh.complete(STAFF, NOW)
    given(fresh)
    assert fresh.refund(STAFF, NOW) == Decimal("2.00")
    assert new_events(fresh) == ["Refunded"]


def test_a_failed_order_gives_back_what_it_still_costs() -> None:
    fresh = order()
    assert fresh.fail("link gone", BOT, NOW) == Decimal("2.00")
    events = fresh.collect_events()
    assert isinstance(events[0], Order.Failed) and events[0].reason == "link gone"
    with refused(InvalidTransition, "order 7 is already Failed"):
        fresh.complete(BOT, NOW)


# ---- subscriptions --------------------------------------------------------------------------


def test_posts_are_for_subscriptions_only() -> None:
    payer = account(Billing.POSTPAID)
    with refused(InvalidTransition, "order 7 is not a subscription"):
        order().report_post("p1", 50, lambda: Decimal(1), payer, BOT, NOW)


def test_a_post_is_charged_at_the_rate_and_the_last_post_completes_the_subscription() -> None:
    subs, payer = subscription(posts="2"), account(Billing.PREPAID)
    assert subs.report_post("p1", 50, lambda: Decimal(2), payer, BOT, NOW)
    assert new_events(subs) == ["PostDelivered"]
    assert subs.report_post("p2", 50, lambda: Decimal(2), payer, BOT, NOW)
    assert new_events(subs) == ["PostDelivered", "Completed"]
    assert subs.status is OrderStatus.COMPLETED and subs.charge == Decimal("0.20")
    assert new_events(payer) == ["Charged", "Charged"] and payer.balance == Decimal("0.80")


def test_a_post_the_prepaid_account_cannot_pay_is_refused() -> None:
    subs, payer = subscription(), account(Billing.PREPAID)
    with refused(NotEnoughFunds, "5.00000"):
        subs.report_post("p1", 50, lambda: Decimal(100), payer, BOT, NOW)
    assert new_events(payer) == []


def test_the_same_post_again_asks_no_rate_and_another_quantity_is_refused() -> None:
    subs, payer = subscription(), account(Billing.POSTPAID)
    subs.report_post("p1", 50, lambda: Decimal(2), payer, BOT, NOW)
    given(subs)

    def no_rate() -> Decimal:
        raise AssertionError("the rate was asked for a repeated report")

    assert not subs.report_post("p1", 50, no_rate, payer, BOT, NOW)
    with refused(InvalidTransition, "post p1 was already reported with quantity 50"):
        subs.report_post("p1", 60, no_rate, payer, BOT, NOW)
    assert new_events(subs) == []


def test_a_post_outside_the_bounds_or_after_the_expiry_is_refused() -> None:
    subs, payer = subscription(expiry="2020-01-01"), account(Billing.POSTPAID)
    with refused(InvalidTransition, "quantity per post must be between 10 and 100"):
        subscription().report_post("p1", 101, lambda: Decimal(1), payer, BOT, NOW)
    with refused(InvalidTransition, "subscription 7 expired at 2020-01-02 00:00:00+00:00"):
        subs.report_post("p1", 50, lambda: Decimal(1), payer, BOT, NOW)


def test_a_subscription_ends_only_once_its_expiry_has_passed() -> None:
    subs = subscription(expiry="2099-01-01")
    with refused(InvalidTransition, "subscription 7 has not expired"):
        subs.end_subscription(SWEEP, NOW)
    assert subs.end_subscription(SWEEP, datetime(2099, 1, 2, tzinfo=UTC))
    assert new_events(subs) == ["Completed"]
    assert not subs.end_subscription(SWEEP, datetime(2099, 1, 2, tzinfo=UTC))
    assert new_events(subs) == []


# ---- the network's requests -----------------------------------------------------------------


def test_a_cancel_request_needs_a_cancelable_unfinished_order_and_is_recorded_once() -> None:
    fresh = order()
    with refused(OrderNotCancelable, "7"):
        fresh.request_cancel(cancelable=False)
    fresh.request_cancel(cancelable=True)
    fresh.request_cancel(cancelable=True)
    assert new_events(fresh) == ["CancelRequested"]
    fresh.complete(STAFF, NOW)
    given(fresh)
    with pytest.raises(OrderNotCancelable):
        fresh.request_cancel(cancelable=True)


def test_a_refill_is_numbered_only_once_the_order_may_have_one() -> None:
    asked: list[int] = []

    def number() -> int:
        asked.append(len(asked) + 1)
        return asked[-1]

    done = order()
    with refused(OrderNotRefillable, "7"):
        done.request_refill(30, NOW, number)  # not finished yet
    done.complete(STAFF, NOW)
    given(done)
    with pytest.raises(OrderNotRefillable):
        done.request_refill(None, NOW, number)  # its service gives no refills
    with pytest.raises(OrderNotRefillable):
        done.request_refill(30, NOW + timedelta(days=31), number)  # past its window
    assert asked == []
    refill = done.request_refill(30, NOW + timedelta(days=1), number)
    assert (refill.number, refill.order_number, refill.account_id) == (1, 7, done.account_id)
    assert new_events(done) == ["RefillRequested"] and done.open_refill == 1
    with pytest.raises(OrderNotRefillable):
        done.request_refill(30, NOW + timedelta(days=1), number)  # one refill open at a time


# ---- refills --------------------------------------------------------------------------------


def refill() -> Refill:
    requested = Refill(number=3, order_number=7, account_id=uuid4())
    given(requested)
    return requested


def test_a_refill_another_bot_holds_or_that_has_finished_is_not_claimed() -> None:
    held = refill()
    held.claim("bot-2", LEASE, NOW)
    given(held)
    with refused(ClaimTaken, "refill 3 is claimed by bot-2"):
        held.claim("bot-1", LEASE, NOW)
    held.claim("bot-2", LEASE, NOW)  # its holder may claim it again
    assert new_events(held) == ["Claimed"]
    held.complete(OTHER, NOW)
    given(held)
    with refused(InvalidTransition, "refill 3 is already Completed"):
        held.claim("bot-1", LEASE, NOW)


def test_the_sweep_releases_a_refill_claim_only_once_it_ran_out() -> None:
    held = refill()
    held.claim("bot-1", LEASE, NOW)
    given(held)
    held.release_expired_claim(NOW)
    assert new_events(held) == []
    held.release_expired_claim(NOW + LEASE)
    assert new_events(held) == ["ClaimReleased"]
    held.release_expired_claim(NOW + LEASE)
    assert new_events(held) == []


def test_a_refill_starts_once_and_the_same_move_again_records_nothing() -> None:
    moving = refill()
    assert moving.start(BOT, NOW)
    assert not moving.start(BOT, NOW)
    assert new_events(moving) == ["Started"]
    assert moving.reject("no stock", BOT, NOW)
    assert new_events(moving) == ["Rejected"]
    assert moving.status is RefillStatus.REJECTED and moving.reason == "no stock"


def test_a_finished_refill_cannot_move_again() -> None:
    done = refill()
    assert done.complete(BOT, NOW)
    given(done)
    assert not done.complete(BOT, NOW)
    with refused(InvalidTransition, "refill 3 is already Completed"):
        done.fail("late", BOT, NOW)
    with refused(InvalidTransition, "refill 3 is already Completed"):
        done.start(BOT, NOW)
    assert new_events(done) == []


def test_a_report_on_a_refill_another_bot_holds_is_refused() -> None:
    held = refill()
    held.claim("bot-2", LEASE, NOW)
    given(held)
    with refused(ClaimTaken, "refill 3 is claimed by bot-2"):
        held.start(BOT, NOW)


# ---- accounts -------------------------------------------------------------------------------


def account(billing: Billing) -> Account:
    opened = Account(name="net", currency="USD", billing=billing.value, credit=Decimal(0))
    opened.record_deposit(Decimal("1.00"))
    given(opened)
    return opened


def test_a_prepaid_account_refuses_a_charge_it_cannot_pay_and_records_nothing() -> None:
    prepaid = account(Billing.PREPAID)
    with refused(NotEnoughFunds, "1.50"):
        prepaid.charge(order_number=1, amount=Decimal("1.50"))
    assert new_events(prepaid) == []
    prepaid.charge(order_number=1, amount=Decimal("1.00"))
    assert new_events(prepaid) == ["Charged"] and prepaid.balance == 0


def test_a_charge_of_nothing_records_nothing_and_a_postpaid_account_is_never_refused() -> None:
    prepaid = account(Billing.PREPAID)
    prepaid.charge(order_number=1, amount=Decimal(0))
    assert new_events(prepaid) == []
    postpaid = account(Billing.POSTPAID)
    postpaid.charge(order_number=1, amount=Decimal("5.00"))
    assert new_events(postpaid) == ["Charged"] and postpaid.owed == Decimal("4.00")


# ---- link guards ----------------------------------------------------------------------------


def test_a_link_is_freed_only_by_the_order_that_holds_it() -> None:
    guard = ActiveLink(account_id=uuid4(), service_number=1, link="https://x", order_number=7)
    guard.record_released(7)
    guard.record_taken(8)
    given(guard)
    assert not guard.release(7)
    assert new_events(guard) == [] and guard.is_taken
    assert guard.release(8)
    assert new_events(guard) == ["Released"] and not guard.is_taken


# ---- services -------------------------------------------------------------------------------


def service(service_type: str = "Default") -> Service:
    listed = Service(**entry(4, service_type).fields(), number=4)
    given(listed)
    return listed


def test_an_order_is_priced_at_the_services_rate_per_thousand() -> None:
    terms = service().order_terms({"link": "https://x", "quantity": "2000"})
    assert terms.charge == Decimal("5.00000") and terms.request.quantity == 2000


def test_a_subscription_costs_nothing_up_front_and_keeps_the_rate_of_its_placement() -> None:
    fields = {"username": "someone", "min": "10", "max": "100", "posts": "3", "delay": "0"}
    terms = service("Subscriptions").order_terms(fields)
    assert terms.charge == 0 and terms.details["rate"] == "2.50"


def test_a_disabled_service_takes_no_orders() -> None:
    disabled = service()
    disabled.record_disabled()
    given(disabled)
    with refused(UnknownService, "4"):
        disabled.order_terms({"link": "https://x", "quantity": "2000"})
