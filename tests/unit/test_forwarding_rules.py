"""The order's forwarding commands: given (its events) / when (a command) / then (the events
it records, or the refusal and nothing recorded). No ledger, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from orderledger.domain.claims import STAFF, SWEEP, Reporter
from orderledger.domain.errors import ClaimTaken, InvalidTransition
from orderledger.domain.order import ForwardState, Order, OrderStatus
from orderledger.domain.refill import Refill
from tests.unit.test_aggregate_rules import given, new_events, order, refused

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
FORWARDER = Reporter(Order.forwarder("bulk"))
BOT = Reporter("bot-1")


def sending() -> Order:
    placed = order()
    placed.begin_forward("bulk", 501, NOW)
    given(placed)
    return placed


def forwarded(upstream_order: str = "9001") -> Order:
    sent = sending()
    sent.forward_placed(upstream_order)
    given(sent)
    return sent


def in_doubt() -> Order:
    sent = sending()
    sent.put_in_doubt("timed out")
    given(sent)
    return sent


def test_a_waiting_order_is_taken_for_its_upstream_before_it_is_sent() -> None:
    placed = order()
    given(placed)
    placed.begin_forward("bulk", 501, NOW)
    assert new_events(placed) == ["ForwardAttempted"]
    assert placed.forward_state is ForwardState.SENDING and placed.forward_attempts == 1
    assert placed.status is OrderStatus.PROCESSING and placed.claimed_by == "upstream:bulk"


def test_an_order_being_sent_forwarded_or_in_doubt_is_never_taken_again() -> None:
    for taken in (sending(), forwarded(), in_doubt()):
        with pytest.raises(ClaimTaken):
            taken.begin_forward("bulk", 501, NOW)
        assert new_events(taken) == []


def test_an_order_a_bot_holds_or_has_started_is_not_forwarded() -> None:
    held = order()
    held.claim("bot-1", timedelta(minutes=15), NOW)
    given(held)
    with refused(ClaimTaken, "order 7 is claimed by bot-1"):
        held.begin_forward("bulk", 501, NOW)
    started = order()
    started.start(10, STAFF, NOW)
    given(started)
    with refused(InvalidTransition, "order 7 is In progress: only a waiting order is forwarded"):
        started.begin_forward("bulk", 501, NOW)
    assert new_events(held) == new_events(started) == []


def test_the_upstream_order_id_is_recorded_once() -> None:
    sent = sending()
    sent.forward_placed("9001")
    sent.forward_placed("9001")
    assert new_events(sent) == ["Forwarded"]
    assert (sent.forward_state, sent.upstream_order) == (ForwardState.FORWARDED, "9001")
    with refused(InvalidTransition, "order 7 is not being forwarded"):
        sent.forward_placed("9002")


def test_an_answer_arriving_after_the_order_was_put_in_doubt_ends_the_doubt() -> None:
    doubtful = in_doubt()
    doubtful.forward_placed("9001")
    assert new_events(doubtful) == ["Forwarded"]
    assert doubtful.forward_state is ForwardState.FORWARDED


def test_an_attempt_the_upstream_did_nothing_with_puts_the_order_back_in_the_queue() -> None:
    sent = sending()
    sent.forward_not_placed("HTTP 503")
    assert new_events(sent) == ["ForwardNotPlaced"]
    assert sent.forward_state is None and sent.status is OrderStatus.PENDING
    assert sent.claimed_by is None
    sent.begin_forward("bulk", 501, NOW)
    assert sent.forward_attempts == 2


def test_a_refusal_of_the_order_itself_fails_it_with_the_reason_and_a_full_refund() -> None:
    sent = sending()
    refund = sent.refuse_forward("Incorrect link", FORWARDER, NOW)
    assert new_events(sent) == ["ForwardNotPlaced", "Failed"]
    assert refund == Decimal("2.00") and sent.status is OrderStatus.FAILED


def test_only_an_attempt_being_sent_or_forwarded_can_be_put_in_doubt_and_only_once() -> None:
    sent = sending()
    sent.put_in_doubt("timed out")
    sent.put_in_doubt("timed out again")
    assert new_events(sent) == ["ForwardInDoubt"]
    assert sent.doubt == "timed out"
    with refused(InvalidTransition, "order 7 is not forwarded"):
        order().put_in_doubt("why")
    lost = forwarded()
    lost.put_in_doubt("Incorrect order ID")
    assert new_events(lost) == ["ForwardInDoubt"]


def test_an_interrupted_attempt_is_put_in_doubt_only_while_it_is_still_being_sent() -> None:
    left = sending()
    left.interrupt_forward("interrupted")
    assert new_events(left) == ["ForwardInDoubt"]
    for settled in (forwarded(), in_doubt(), order()):
        with refused(InvalidTransition, "order 7 is not being forwarded"):
            settled.interrupt_forward("interrupted")


def test_an_operator_attaches_the_upstream_order_of_an_order_in_doubt() -> None:
    doubtful = in_doubt()
    doubtful.attach_upstream_order(" 9001 ", "staff")
    doubtful.attach_upstream_order("9001", "staff")
    assert new_events(doubtful) == ["UpstreamOrderAttached"]
    assert (doubtful.forward_state, doubtful.upstream_order) == (ForwardState.FORWARDED, "9001")
    with refused(InvalidTransition, "order 7 is not in doubt"):
        sending().attach_upstream_order("9001", "staff")
    with refused(InvalidTransition, "the upstream order id is empty"):
        in_doubt().attach_upstream_order(" ", "staff")


def test_an_operator_reopens_an_order_in_doubt_that_never_reached_the_upstream() -> None:
    doubtful = in_doubt()
    doubtful.reopen_forward("staff")
    assert new_events(doubtful) == ["ForwardReopened"]
    assert doubtful.forward_state is None and doubtful.status is OrderStatus.PENDING
    doubtful.begin_forward("bulk", 501, NOW)
    assert doubtful.forward_attempts == 2
    with refused(InvalidTransition, "order 7 is not in doubt"):
        sending().reopen_forward("staff")


def test_an_order_in_doubt_that_started_upstream_is_not_reopened() -> None:
    started = forwarded()
    started.start(100, FORWARDER, NOW)
    started.put_in_doubt("Incorrect order ID")
    given(started)
    with refused(InvalidTransition, "order 7 has started at the upstream: attach it or end it"):
        started.reopen_forward("staff")


def test_the_upstream_cost_is_recorded_when_it_changes() -> None:
    sent = forwarded()
    assert sent.report_upstream_cost(Decimal("1.20000"), "USD")
    assert not sent.report_upstream_cost(Decimal("1.2"), "USD")
    assert sent.report_upstream_cost(Decimal("0.60000"), "USD")
    assert new_events(sent) == ["UpstreamCostReported", "UpstreamCostReported"]
    assert sent.upstream_cost == Decimal("0.6")


def test_a_cancel_request_is_passed_on_once() -> None:
    sent = forwarded()
    sent.request_cancel(cancelable=True)
    given(sent)
    assert sent.note_cancel_forwarded("accepted")
    assert not sent.note_cancel_forwarded("accepted")
    assert new_events(sent) == ["CancelForwarded"]
    with refused(InvalidTransition, "order 7 has no cancel request to pass on"):
        forwarded().note_cancel_forwarded("accepted")


def test_a_bot_never_reports_on_a_forwarded_order_but_its_forwarder_and_staff_do() -> None:
    sent = forwarded()
    with refused(ClaimTaken, "order 7 is forwarded to upstream bulk"):
        sent.start(10, BOT, NOW)
    with refused(ClaimTaken, "order 7 is forwarded to upstream bulk"):
        sent.cancel(BOT, NOW)
    sent.start(10, FORWARDER, NOW)
    sent.report_delivery(20, STAFF, NOW)
    assert new_events(sent) == ["Started", "DeliveryReported"]


def test_the_sweep_never_releases_a_forwarded_order() -> None:
    for taken in (sending(), forwarded()):
        taken.release_claim(None, NOW + timedelta(days=1))
        assert new_events(taken) == []
        assert taken.claimed_by == "upstream:bulk"
    assert SWEEP.staff


def test_a_refill_of_a_forwarded_order_is_the_upstreams_and_never_a_bots() -> None:
    refill = Refill(number=3, order_number=7, account_id=uuid4())
    refill.assign_upstream("bulk")
    refill.assign_upstream("bulk")
    assert new_events(refill) == ["Requested", "AssignedToUpstream"]
    with refused(ClaimTaken, "refill 3 is for upstream bulk"):
        refill.claim("bot-1", timedelta(minutes=5), NOW)
    with refused(ClaimTaken, "refill 3 is for upstream bulk"):
        refill.complete(BOT, NOW)
    assert refill.forwarded_upstream("700") and not refill.forwarded_upstream("700")
    with refused(InvalidTransition, "refill 3 is already upstream refill 700"):
        refill.forwarded_upstream("701")
    assert refill.start(FORWARDER, NOW) and refill.complete(FORWARDER, NOW)
    assert new_events(refill) == ["ForwardedUpstream", "Started", "Completed"]
    refill.release_expired_claim(NOW + timedelta(days=1))
    assert new_events(refill) == []
