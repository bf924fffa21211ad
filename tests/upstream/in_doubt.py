"""A store with orders in doubt, for the tests of how operators see and resolve them (the
command line's and the console's)."""

from __future__ import annotations

from decimal import Decimal

from orderledger.bootstrap import Store
from orderledger.domain.order import OrderStatus
from orderledger.upstream.answers import StatusAnswer
from tests.conftest import entry, open_account, settle


def three_forwarded(store: Store, key: str, url: str) -> list[int]:
    """Three orders of service 1 forwarded to `bulk` (its key `key`, at `url`) as its
    service 501: the first forwarded as upstream order 9001 and charged 2.5 there, the other
    two in doubt (a send with no answer, an interrupted attempt)."""
    ledger = store.ledger
    ledger.sync_services([entry(1, rate=Decimal("3"))])
    store.upstream_keys.put("bulk", key)
    ledger.add_upstream("bulk", url)
    ledger.link_service(1, "bulk", 501)
    account, _ = open_account(store)
    numbers = []
    for i in range(3):
        number = ledger.place_order(account.id, 1, {"link": f"https://x/{i}", "quantity": 1000})
        ledger.begin_forward(number.number, "bulk", 501)
        numbers.append(number.number)
    ledger.record_forwarded(numbers[0], "9001")
    said = StatusAnswer(OrderStatus.IN_PROGRESS, Decimal("2.50000"), 10, 1000, "USD")
    ledger.follow_upstream(numbers[0], said)
    ledger.forward_in_doubt(numbers[1], "sent, no answer: ReadTimeout")
    ledger.forward_in_doubt(numbers[2], "interrupted")
    settle(store)
    return numbers
