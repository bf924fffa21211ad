"""The forwarder against an upstream in memory (tests/upstream/fake.py), on the real stores:
orders of linked services sent once each, every fault of the upstream met as the issue says,
and the bots kept away from them. Against a real upstream server:
tests/integration/test_upstream_chain.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from orderledger.application.claiming import WorkClaims
from orderledger.application.forwarder import Forwarder
from orderledger.bootstrap import Store
from orderledger.domain.account import Account
from orderledger.domain.errors import ClaimTaken
from orderledger.domain.order import ForwardState, Order, OrderStatus
from orderledger.domain.refill import RefillStatus
from orderledger.views import forwards
from tests.conftest import entry, open_account, settle
from tests.fulfilment.support import Clock
from tests.upstream.fake import FakeUpstream

LINKED, COMMENTS, OWN = 1, 2, 3


@dataclass
class World:
    store: Store
    upstream: FakeUpstream
    forwarder: Forwarder
    account: Account
    clock: Clock
    placed: int = 0

    def place(self, service: int = LINKED, **fields: Any) -> int:
        self.placed += 1
        sent = {"link": f"https://x/{self.placed}", "quantity": "1000"}
        order = self.store.ledger.place_order(self.account.id, service, {**sent, **fields})
        return order.number

    def round(self) -> int:
        settle(self.store)
        sent = self.forwarder.round()
        settle(self.store)
        return sent

    def order(self, number: int) -> Order:
        return self.store.ledger.known_order(number)

    def sync(self) -> None:
        self.clock.advance(seconds=61)
        self.round()


@pytest.fixture
def world(store: Store) -> Iterator[World]:
    ledger = store.ledger
    ledger.sync_services(
        [
            entry(LINKED, cancel=True, refill=True),
            entry(COMMENTS, "Custom Comments", rate=Decimal("10"), min=1, max=100),
            entry(OWN),
        ]
    )
    store.upstream_keys.put("bulk", "k3y")
    ledger.add_upstream("bulk", "https://upstream.example/api/v2")
    ledger.link_service(LINKED, "bulk", 501)
    ledger.link_service(COMMENTS, "bulk", 502)
    account, _ = open_account(store, deposit="1000")
    upstream = FakeUpstream()
    clock = Clock()
    forwarder = Forwarder(ledger, store.db, upstream.clients(), clock=clock)
    yield World(store, upstream, forwarder, account, clock)


def test_orders_of_linked_services_are_forwarded_once_and_the_others_stay_with_the_bots(
    world: World,
) -> None:
    first, second = world.place(), world.place(COMMENTS, comments="nice\nwow")
    own = world.place(OWN)
    assert world.round() == 2
    assert world.round() == 0  # nothing sent twice
    assert world.upstream.adds == 2
    for number in (first, second):
        order = world.order(number)
        assert order.forward_state is ForwardState.FORWARDED and order.upstream_order
    sent = world.upstream.orders[str(world.order(second).upstream_order)].fields
    assert sent["service"] == "502" and sent["comments"] == "nice\nwow"
    assert world.order(own).forward_state is None
    claimed = WorkClaims(world.store.ledger, world.store.db).claim_orders("bot-1", limit=10)
    assert [o.number for o in claimed] == [own]


def test_a_bot_is_refused_an_order_of_a_linked_service_even_by_number(world: World) -> None:
    number = world.place()
    with pytest.raises(ClaimTaken):
        world.store.ledger.claim_order(number, "bot-1", timedelta(minutes=5))


def test_an_add_with_no_answer_is_never_sent_again_and_is_in_doubt(world: World) -> None:
    number = world.place()
    world.upstream.faults = ["timeout after placing"]
    world.round()
    world.round()
    assert world.upstream.adds == 1
    order = world.order(number)
    assert order.forward_state is ForwardState.IN_DOUBT
    assert "no answer" in order.doubt
    assert forwards.forward_of(world.store.db, number).state == "in doubt"  # type: ignore[union-attr]


def test_an_attempt_left_sending_by_a_dead_forwarder_is_put_in_doubt(world: World) -> None:
    number = world.place()
    world.store.ledger.begin_forward(number, "bulk", 501)  # then the process died
    world.round()
    assert world.upstream.adds == 0
    assert world.order(number).forward_state is ForwardState.IN_DOUBT


def test_an_operator_resolves_the_orders_in_doubt(world: World) -> None:
    placed, lost = world.place(), world.place()
    world.upstream.faults = ["timeout after placing", "timeout before"]
    world.round()
    assert {world.order(n).forward_state for n in (placed, lost)} == {ForwardState.IN_DOUBT}
    world.store.ledger.attach_upstream_order(placed, "9001")
    world.store.ledger.forward_again(lost)
    world.round()
    assert world.order(placed).upstream_order == "9001"
    assert world.order(lost).upstream_order == "9002" and world.upstream.adds == 2


def test_a_refused_order_fails_with_the_upstreams_reason_and_a_full_refund(world: World) -> None:
    number = world.place()
    world.upstream.faults = ["refuse"]
    world.round()
    order = world.order(number)
    assert order.status is OrderStatus.FAILED and order.net_charge == 0
    assert world.store.ledger.account(world.account.id).balance == Decimal("1000")
    events = [type(e).__name__ for e in world.store.ledger.events.get(order.id)]
    assert events[-2:] == ["ForwardNotPlaced", "Failed"]


def test_an_order_whose_link_is_busy_upstream_waits_instead_of_failing(world: World) -> None:
    number = world.place()
    world.upstream.faults = ["busy link"]
    world.round()
    world.round()
    assert world.order(number).status is OrderStatus.PENDING
    assert world.order(number).forward_attempts == 1  # not tried again at once
    world.clock.advance(minutes=1)
    world.round()
    assert world.order(number).forward_state is ForwardState.FORWARDED


def test_funds_short_holds_the_orders_and_retries_later(world: World) -> None:
    first, second = world.place(), world.place()
    world.upstream.faults = ["funds"]
    world.round()
    assert world.upstream.adds == 0
    assert {world.order(n).status for n in (first, second)} == {OrderStatus.PENDING}
    upstream = world.store.ledger.known_upstream("bulk")
    assert upstream.funds_short and upstream.short_reason == "Not enough funds on balance"
    world.round()
    assert world.upstream.adds == 0  # held until the retry
    world.clock.advance(seconds=31)
    world.round()
    assert world.upstream.adds == 2
    assert not world.store.ledger.known_upstream("bulk").funds_short


def test_an_upstream_that_backs_off_is_waited_for(world: World) -> None:
    number = world.place()
    world.upstream.faults = ["503", "connect"]
    world.round()
    assert world.order(number).status is OrderStatus.PENDING
    world.clock.advance(seconds=1)
    world.round()
    world.clock.advance(seconds=2)
    world.round()
    assert world.order(number).forward_state is ForwardState.FORWARDED
    assert world.order(number).forward_attempts == 3


def test_the_status_sync_records_each_change_as_a_bots_report_would(world: World) -> None:
    started, partial, canceled = world.place(), world.place(), world.place()
    world.round()
    up = {n: str(world.order(n).upstream_order) for n in (started, partial, canceled)}
    world.upstream.orders[up[started]].start_count = 42
    world.upstream.set(up[started], "In progress", remains=400)
    world.upstream.set(up[partial], "Partial", remains=250, charge="0.75000")
    world.upstream.set(up[canceled], "Canceled", remains=1000, charge="0")
    world.sync()
    assert (world.order(started).status, world.order(started).delivered) == (
        OrderStatus.IN_PROGRESS,
        600,
    )
    assert world.order(started).start_count == 42
    assert world.order(partial).status is OrderStatus.PARTIAL
    assert world.order(partial).refunded == Decimal("0.62500")
    assert world.order(partial).upstream_cost == Decimal("0.75")
    assert world.order(canceled).status is OrderStatus.CANCELED
    versions = {n: world.order(n).version for n in (started, partial, canceled)}
    world.sync()  # the same answers again: nothing recorded
    assert {n: world.order(n).version for n in versions} == versions


def test_an_unreadable_status_puts_only_that_order_in_doubt(world: World) -> None:
    odd, lost, fine = world.place(), world.place(), world.place()
    world.round()
    world.upstream.unreadable.add(str(world.order(odd).upstream_order))
    del world.upstream.orders[str(world.order(lost).upstream_order)]
    world.upstream.set(str(world.order(fine).upstream_order), "Completed", remains=0)
    world.sync()
    assert world.order(odd).forward_state is ForwardState.IN_DOUBT
    assert world.order(lost).forward_state is ForwardState.IN_DOUBT
    assert "Incorrect order ID" in world.order(lost).doubt
    assert world.order(fine).status is OrderStatus.COMPLETED


def test_the_sync_asks_at_most_100_at_a_time_the_longest_unasked_first(world: World) -> None:
    numbers = [world.place() for _ in range(150)]
    while world.round():
        pass
    world.upstream.status_calls.clear()
    world.sync()
    assert [len(ids) for ids in world.upstream.status_calls] == [100, 50]
    asked = [i for ids in world.upstream.status_calls for i in ids]
    assert len(set(asked)) == 150
    assert {str(world.order(n).upstream_order) for n in numbers} == set(asked)


def test_a_cancel_request_is_passed_on_once_and_its_end_mirrored(world: World) -> None:
    number = world.place()
    world.round()
    world.store.ledger.request_cancel(world.account.id, number)
    settle(world.store)
    assert WorkClaims(world.store.ledger, world.store.db).cancel_requests() == []  # not a bot's
    world.round()
    world.round()
    upstream_order = str(world.order(number).upstream_order)
    assert world.upstream.orders[upstream_order].cancel_asked
    assert world.order(number).cancel_forwarded
    world.upstream.set(upstream_order, "Canceled", remains=1000, charge="0")
    world.sync()
    assert world.order(number).status is OrderStatus.CANCELED


def test_an_order_canceled_before_it_was_sent_is_canceled_here(world: World) -> None:
    number = world.place()
    world.store.ledger.request_cancel(world.account.id, number)
    world.round()
    assert world.upstream.adds == 0
    assert world.order(number).status is OrderStatus.CANCELED


def test_a_refill_of_a_forwarded_order_is_asked_of_the_upstream_and_followed(
    world: World,
) -> None:
    number = world.place()
    world.round()
    upstream_order = str(world.order(number).upstream_order)
    world.upstream.set(upstream_order, "Completed", remains=0)
    world.sync()
    refill = world.store.ledger.request_refill(world.account.id, number)
    claimed = WorkClaims(world.store.ledger, world.store.db).claim_refills("bot-1", limit=5)
    assert claimed == []  # the bots never get it
    world.round()
    upstream_refill = world.upstream.refill_of[upstream_order]
    assert world.store.ledger.refill(refill.number).upstream_refill == upstream_refill
    world.upstream.refills[upstream_refill] = "Completed"
    world.sync()
    assert world.store.ledger.refill(refill.number).status is RefillStatus.COMPLETED
    assert world.order(number).open_refill is None
