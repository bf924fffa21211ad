"""An upstream's status of a forwarded order becomes the order's own reports: given the
order forwarded, when the upstream answers, then the events a bot's reports would record
(and the refund that goes back), and nothing for an unchanged answer."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from orderledger.domain.claims import Reporter
from orderledger.domain.order import Order, OrderStatus
from orderledger.domain.upstream_follow import follow
from orderledger.upstream.answers import StatusAnswer
from tests.unit.test_aggregate_rules import given, new_events, order, subscription

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
BY = Reporter(Order.forwarder("bulk"))


def forwarded(placed: Order | None = None) -> Order:
    sent = placed or order()  # 1000 charged 2.00
    sent.begin_forward("bulk", 501, NOW)
    sent.forward_placed("9001")
    given(sent)
    return sent


def said(
    status: OrderStatus,
    remains: int | None = None,
    start_count: int | None = None,
    charge: str | None = None,
) -> StatusAnswer:
    cost = None if charge is None else Decimal(charge)
    return StatusAnswer(status, cost, start_count, remains, "USD" if charge else None)


def test_an_unchanged_answer_records_nothing() -> None:
    sent = forwarded()
    assert follow(sent, said(OrderStatus.PENDING), BY, NOW) == 0
    sent.record_start(start_count=5, by=BY.name)
    given(sent)
    follow(sent, said(OrderStatus.IN_PROGRESS, remains=1000, start_count=5), BY, NOW)
    assert new_events(sent) == []


def test_in_progress_records_the_start_count_and_what_was_delivered() -> None:
    sent = forwarded()
    follow(sent, said(OrderStatus.IN_PROGRESS, remains=700, start_count=120), BY, NOW)
    assert new_events(sent) == ["Started", "DeliveryReported"]
    assert (sent.start_count, sent.delivered, sent.status) == (120, 300, OrderStatus.IN_PROGRESS)


def test_completed_completes_with_nothing_back() -> None:
    sent = forwarded()
    assert follow(sent, said(OrderStatus.COMPLETED, remains=0, charge="1.2"), BY, NOW) == 0
    assert new_events(sent) == ["UpstreamCostReported", "Completed"]
    assert follow(sent, said(OrderStatus.COMPLETED, remains=0, charge="1.2"), BY, NOW) == 0
    assert new_events(sent) == []


def test_partial_refunds_the_undelivered_share() -> None:
    sent = forwarded()
    refund = follow(sent, said(OrderStatus.PARTIAL, remains=250, start_count=3), BY, NOW)
    assert refund == Decimal("0.50000")
    assert new_events(sent) == ["Started", "PartiallyCompleted"]
    assert sent.status is OrderStatus.PARTIAL and sent.remains == 250


def test_canceled_with_nothing_delivered_refunds_the_whole_charge() -> None:
    sent = forwarded()
    assert follow(sent, said(OrderStatus.CANCELED, remains=1000), BY, NOW) == Decimal("2.00")
    assert new_events(sent) == ["Canceled"]


def test_canceled_after_some_delivery_stops_as_partial() -> None:
    sent = forwarded()
    follow(sent, said(OrderStatus.IN_PROGRESS, remains=600), BY, NOW)
    given(sent)
    assert follow(sent, said(OrderStatus.CANCELED, remains=600), BY, NOW) == Decimal("1.20000")
    assert new_events(sent) == ["PartiallyCompleted"]


def test_refunded_gives_everything_back_even_after_completion() -> None:
    sent = forwarded()
    follow(sent, said(OrderStatus.COMPLETED, remains=0), BY, NOW)
    given(sent)
    assert follow(sent, said(OrderStatus.REFUNDED, remains=0), BY, NOW) == Decimal("2.00")
    assert new_events(sent) == ["Refunded"] and sent.net_charge == 0


def test_failed_upstream_fails_here_with_a_full_refund() -> None:
    sent = forwarded()
    assert follow(sent, said(OrderStatus.FAILED), BY, NOW) == Decimal("2.00")
    assert sent.status is OrderStatus.FAILED


def test_a_drip_feed_is_delivered_as_the_upstream_delivers_its_runs() -> None:
    sent = forwarded(order(quantity=100, runs=3, interval=60, charged_quantity=300))
    follow(sent, said(OrderStatus.IN_PROGRESS, remains=50), BY, NOW)
    assert sent.delivered == 250


def test_a_subscription_follows_the_status_and_ends_without_charging_posts() -> None:
    sent = forwarded(subscription())
    follow(sent, said(OrderStatus.IN_PROGRESS, start_count=9), BY, NOW)
    assert follow(sent, said(OrderStatus.COMPLETED), BY, NOW) == 0
    assert new_events(sent) == ["Started", "Completed"]
