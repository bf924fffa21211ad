"""The domain's record of upstream providers: an upstream, a service linked to it, and what
forwarding an order records. Given (events) / when (command) / then (new events, state)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from orderledger.domain.errors import ClaimTaken, InvalidUpstream
from orderledger.domain.order import ForwardState, Order, OrderStatus
from orderledger.domain.snapshots import SnapshotMapper, faithful_snapshot
from orderledger.domain.transcoder import ledger_transcoder
from orderledger.domain.upstream import Upstream
from tests.unit.test_aggregate_rules import given, new_events, order
from tests.unit.test_aggregate_rules import service as listed_service

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
MAPPER = SnapshotMapper(ledger_transcoder())


def read_back(aggregate: Any) -> Any:
    snapshot: Any = MAPPER.to_domain_event(faithful_snapshot(MAPPER, aggregate))
    return snapshot.mutate(None)


@pytest.mark.parametrize("name", ["", "-lead", "a b", "x" * 65, "bad/name"])
def test_an_upstream_name_outside_the_rule_is_refused(name: str) -> None:
    with pytest.raises(InvalidUpstream):
        Upstream(name=name, url="https://provider.example/api/v2")


@pytest.mark.parametrize(
    "url", ["ftp://provider.example/api", "provider.example/api/v2", "https://k:s@p.example/"]
)
def test_an_upstream_address_that_is_not_http_or_carries_credentials_is_refused(url: str) -> None:
    with pytest.raises(InvalidUpstream):
        Upstream(name="bulk", url=url)


def test_funds_running_short_and_coming_back_are_recorded_once_each() -> None:
    upstream = Upstream(name="bulk", url="https://provider.example/api/v2")
    given(upstream)
    upstream.ran_short("Not enough funds on balance", NOW + timedelta(minutes=1))
    assert (upstream.funds_short, upstream.retry_at) == (True, NOW + timedelta(minutes=1))
    assert upstream.funds_restored() and not upstream.funds_restored()
    assert new_events(upstream) == ["FundsRanShort", "FundsRestored"]
    assert not upstream.move(upstream.url)
    assert upstream.move("https://other.example/api/v2")
    assert new_events(upstream) == ["Moved"]
    assert read_back(upstream).__dict__ == upstream.__dict__


def test_linking_a_service_again_the_same_way_records_nothing() -> None:
    service = listed_service()
    given(service)
    assert not service.linked
    assert service.link("bulk", 501) and not service.link("bulk", 501)
    assert service.link("bulk", 502)
    assert service.unlink() and not service.unlink()
    assert new_events(service) == ["LinkedToUpstream", "LinkedToUpstream", "UnlinkedFromUpstream"]
    assert (service.upstream, service.upstream_service) == (None, None)


def test_a_service_listed_before_links_existed_reads_back_unlinked() -> None:
    service = listed_service()
    restored = read_back(service)
    assert "upstream" not in vars(restored)  # as a snapshot written by older code holds it
    assert restored.linked is False


def test_an_attempt_takes_the_order_from_the_queue_and_no_bot_may_claim_it() -> None:
    placed = order()
    given(placed)
    placed.record_forward_attempt(upstream="bulk", upstream_service=501, attempt=1)
    assert placed.status is OrderStatus.PROCESSING
    assert placed.claimed_by == Order.forwarder("bulk") == "upstream:bulk"
    assert not placed.claim_held(NOW + timedelta(days=365))  # no lease the sweep could end
    with pytest.raises(ClaimTaken, match="forwarded to upstream bulk"):
        placed.claim("bot-1", timedelta(minutes=15), NOW)


def test_an_order_the_upstream_did_not_take_goes_back_to_pending() -> None:
    placed = order()
    placed.record_forward_attempt(upstream="bulk", upstream_service=501, attempt=1)
    placed.record_forward_not_placed(reason="Not enough funds on balance")
    assert (placed.status, placed.forward_state, placed.claimed_by) == (
        OrderStatus.PENDING,
        None,
        None,
    )


def test_an_order_in_doubt_is_resolved_by_attaching_its_upstream_order() -> None:
    placed = order()
    placed.record_forward_attempt(upstream="bulk", upstream_service=501, attempt=1)
    placed.record_forward_in_doubt(reason="timed out after sending")
    assert (placed.forward_state, placed.doubt) == (
        ForwardState.IN_DOUBT,
        "timed out after sending",
    )
    placed.record_upstream_order_attached(upstream_order="88123", by="alice")
    assert (placed.forward_state, placed.upstream_order, placed.doubt) == (
        ForwardState.FORWARDED,
        "88123",
        "",
    )


def test_a_reopened_order_may_be_forwarded_again() -> None:
    placed = order()
    placed.record_forward_attempt(upstream="bulk", upstream_service=501, attempt=1)
    placed.record_forward_in_doubt(reason="crashed while sending")
    placed.record_forward_reopened(by="alice")
    assert (placed.status, placed.forward_state, placed.upstream_order) == (
        OrderStatus.PENDING,
        None,
        None,
    )
    assert placed.forward_attempts == 1


def test_a_forwarded_drip_feed_may_report_every_run_delivered() -> None:
    drip = order(runs=5, interval=30, quantity=100, charged_quantity=500)
    assert drip.deliverable == 0  # a bot's: no run handed out yet
    drip.record_forward_attempt(upstream="bulk", upstream_service=501, attempt=1)
    drip.record_forwarded(upstream_order="42")
    assert drip.deliverable == 500


def test_a_forwarded_order_reads_back_from_its_snapshot_exactly() -> None:
    placed = order()
    placed.record_forward_attempt(upstream="bulk", upstream_service=501, attempt=1)
    placed.record_forwarded(upstream_order="42")
    placed.record_upstream_cost(cost=Decimal("1.23450"), currency="USD")
    given(placed)
    restored = read_back(placed)
    assert restored.forward_state is ForwardState.FORWARDED
    assert vars(restored) == vars(placed)
