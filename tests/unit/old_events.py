"""Every kind of event each aggregate records, made by calling its command methods, as a
store holds them: topic and state bytes (the ledger's transcoder), and each aggregate's
state after them (its snapshot's state bytes).

`python -m tests.unit.old_events` prints them as JSON; the frozen copy in old_events.json was
printed by the code before the event classes were declared explicitly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, StoredEvent

from orderledger.domain.account import Account
from orderledger.domain.active_link import ActiveLink
from orderledger.domain.order import Order
from orderledger.domain.refill import Refill
from orderledger.domain.service import Service
from orderledger.domain.transcoder import ledger_transcoder

EXPIRES = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HANDED = datetime(2026, 12, 1, 8, 45, tzinfo=UTC)


def mapper() -> Mapper[UUID]:
    return Mapper(transcoder=ledger_transcoder())


def service() -> Service:
    listed = Service(
        1, "Likes", "Default", "Social", Decimal("0.25"), 10, 1000, True, True, False, "likes"
    )
    listed.record_changes({"rate": "0.30", "name": "More likes"})
    listed.record_disabled()
    listed.record_enabled()
    return listed


def account() -> Account:
    opened = Account("network", "USD", "postpaid", Decimal("10.00"))
    opened.record_deposit(Decimal("5.00"))
    opened.record_charge(1, Decimal("0.25"))
    opened.record_refund(1, Decimal("0.10"))
    return opened


def active_link(account_id: UUID) -> ActiveLink:
    taken = ActiveLink(account_id, 1, "https://x/1", 1)
    taken.record_released(1)
    taken.record_taken(2)
    return taken


def placed(number: int, account_id: UUID, **changes: Any) -> Order:
    facts: dict[str, Any] = {
        "number": number,
        "account_id": account_id,
        "currency": "USD",
        "service_number": 1,
        "service_type": "Default",
        "link": f"https://x/{number}",
        "quantity": 100,
        "runs": None,
        "interval": None,
        "charged_quantity": 100,
        "charge": Decimal("0.25"),
        "details": {},
    }
    return Order(**(facts | changes))


def orders(account_id: UUID) -> Iterator[Order]:
    """One order through every report and ending; one for each other ending."""
    order = placed(1, account_id, runs=2, interval=30, charged_quantity=200)
    order.record_claim("bot", EXPIRES, run=1, claimed_at=HANDED)
    order.record_claim_released(by="bot")
    order.record_claim("bot", EXPIRES)
    order.record_start(7, by="bot")
    order.record_delivery(40, by="bot")
    order.record_cancel_request()
    order.trigger_event(Order.PartiallyCompleted, refund=Decimal("0.15"), by="bot", remains=60)
    order.record_refill_request(1)
    order.record_refill_closed(1, by="staff")
    yield order
    subscription = placed(2, account_id, service_type="Subscriptions", details={"posts": 2})
    subscription.record_post("https://x/2/a", 50, Decimal("0.10"), by="bot")
    subscription.trigger_event(Order.Completed, refund=Decimal(0), by="sweep")
    yield subscription
    for number, ending, facts in (
        (3, Order.Canceled, {}),
        (4, Order.Failed, {"reason": "private profile"}),
        (5, Order.Refunded, {}),
    ):
        order = placed(number, account_id)
        order.trigger_event(ending, refund=Decimal("0.25"), by="staff", **facts)
        yield order


def refills(account_id: UUID) -> Iterator[Refill]:
    refill = Refill(1, 1, account_id)
    refill.record_claim("bot", EXPIRES)
    refill.record_claim_released(by="bot")
    refill.record_start(by="bot")
    refill.record_completion(by="bot")
    yield refill
    rejected = Refill(2, 1, account_id)
    rejected.record_rejection("too soon", by="staff")
    yield rejected
    failed = Refill(3, 1, account_id)
    failed.record_failure("gone", by="bot")
    yield failed


def aggregates() -> list[Aggregate]:
    network = account()
    return [
        service(),
        network,
        active_link(network.id),
        *orders(network.id),
        *refills(network.id),
    ]


def stored(event: StoredEvent) -> dict[str, Any]:
    return {
        "originator_id": str(event.originator_id),
        "originator_version": event.originator_version,
        "topic": event.topic,
        "state": event.state.decode(),
    }


def recorded() -> list[dict[str, Any]]:
    """Each aggregate's stored events and its state after them."""
    write = mapper()
    return [
        {
            "events": [stored(write.to_stored_event(e)) for e in aggregate.collect_events()],
            "state": write.to_stored_event(Aggregate.Snapshot.take(aggregate)).state.decode(),
        }
        for aggregate in aggregates()
    ]


if __name__ == "__main__":
    print(json.dumps(recorded(), indent=1))
