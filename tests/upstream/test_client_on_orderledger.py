"""The client against a real upstream: an `orderledger serve` with its own store, the real
catalogue imported, read back exactly (every service as imported, every charge to the place
as charged, the balance to the last of five places)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import httpx
import pytest

from orderledger.bootstrap import Store
from orderledger.domain.catalogue import CatalogueEntry
from orderledger.domain.order import OrderStatus
from orderledger.domain.refill import RefillStatus
from orderledger.storage.settings import Settings
from orderledger.upstream.answers import (
    Accepted,
    NotFound,
    Refusal,
    StatusAnswer,
    UpstreamBalance,
)
from orderledger.upstream.client import UpstreamClient
from orderledger.upstream.errors import FundsShort, KeyRefused, Refused
from tests.conftest import open_account
from tests.integration.servers import running_server

pytestmark = pytest.mark.slow

LINK = "https://instagram.com/p/C1"
# Orders of several types from the real catalogue, each with the charge its rate gives.
ORDERS: list[tuple[dict[str, str], Decimal]] = [
    # Default with drip-feed: 100 a run, 3 runs, at 7.25 per 1000
    (
        {"service": "5952", "link": LINK, "quantity": "100", "runs": "3", "interval": "30"},
        Decimal("2.17500"),
    ),
    # Custom Comments: two lines at 500 per 1000
    ({"service": "7136", "link": LINK, "comments": "Nice!\nGreat shot"}, Decimal("1.00000")),
    # Package: the rate is the price
    ({"service": "9369", "link": "https://example.com/pr"}, Decimal("75.00000")),
    # Mentions with Hashtags: 200 at 2.625 per 1000
    (
        {
            "service": "6735",
            "link": "https://x.com/a/status/1",
            "quantity": "200",
            "usernames": "alice,bob",
            "hashtags": "#one,#two",
        },
        Decimal("0.52500"),
    ),
    # Mentions Custom List: 20 usernames at 18.75 per 1000
    (
        {
            "service": "7647",
            "link": "https://x.com/a/status/2",
            "usernames": "\n".join(f"user{n}" for n in range(20)),
        },
        Decimal("0.37500"),
    ),
]


@dataclass
class Upstream:
    url: str
    key: str
    client: UpstreamClient

    def raw(self, **fields: str) -> Any:
        """An answer as the upstream writes it, for comparing with the client's reading."""
        form = {"key": self.key, **fields}
        return httpx.post(self.url, data=form, timeout=10).json(parse_float=Decimal)


@pytest.fixture
def served(
    settings: Settings, store: Store, real_catalogue: list[CatalogueEntry]
) -> Iterator[Upstream]:
    used = {int(fields["service"]) for fields, _ in ORDERS}
    store.ledger.sync_services(e for e in real_catalogue if e.number in used)
    _, key = open_account(store, deposit="1000")
    with (
        running_server(settings, workers=1) as url,
        UpstreamClient(url, key, timeout=10) as client,
    ):
        yield Upstream(url, key, client)


@pytest.fixture
def upstream(served: Upstream) -> UpstreamClient:
    return served.client


def test_services_read_back_every_service_as_imported(
    served: Upstream, store: Store, real_catalogue: list[CatalogueEntry]
) -> None:
    store.ledger.sync_services(real_catalogue)
    services = served.client.services()
    assert services.skipped == []
    # the answer does not carry a refill window: the reader's is the default
    by_number = sorted(services.entries, key=lambda e: e.number)
    assert by_number == sorted(
        (replace(e, refill_days=30) for e in real_catalogue), key=lambda e: e.number
    )


def test_orders_of_every_type_are_placed_and_read_back_to_the_charge(
    served: Upstream, store: Store
) -> None:
    upstream = served.client
    assert upstream.balance() == UpstreamBalance(Decimal("1000.00000"), "USD")
    placed = [upstream.add(fields) for fields, _ in ORDERS]
    assert len(set(placed)) == len(ORDERS)
    answers = upstream.status_many([*placed, "999999", "0"])
    raw = served.raw(action="status", orders=",".join(placed))
    for number, (_, charge) in zip(placed, ORDERS, strict=True):
        order = store.ledger.order(int(number))
        assert order is not None and order.charge == charge
        written = raw[number]
        assert answers[number] == StatusAnswer(
            status=OrderStatus.PENDING,
            charge=charge,
            start_count=0,
            remains=int(written["remains"]),
            currency="USD",
        )
        assert str(answers[number].charge) == written["charge"]  # type: ignore[union-attr]
    assert answers["999999"] == NotFound("Incorrect order ID")
    assert answers["0"] == NotFound("Incorrect order ID")
    spent = sum((charge for _, charge in ORDERS), Decimal(0))
    assert upstream.balance().amount == Decimal("1000") - spent


def test_the_upstreams_refusals_arrive_as_refusals(upstream: UpstreamClient) -> None:
    with pytest.raises(Refused) as unknown:
        upstream.add({"service": "1", "link": LINK, "quantity": "100"})
    assert unknown.value.reason == "Incorrect service ID"
    with pytest.raises(Refused) as small:
        upstream.add({"service": "5952", "link": LINK, "quantity": "1"})
    assert small.value.reason == "Quantity less than minimal 10"
    with pytest.raises(FundsShort):
        upstream.add({"service": "5952", "link": LINK, "quantity": "1000000"})


def test_a_key_the_upstream_does_not_know_is_refused_as_a_key(settings: Settings) -> None:
    with (
        running_server(settings, workers=1) as url,
        UpstreamClient(url, "no-such-key") as client,
        pytest.raises(KeyRefused),
    ):
        client.balance()


def test_cancel_and_refill_through_the_client(upstream: UpstreamClient, store: Store) -> None:
    cancellable = upstream.add(ORDERS[0][0])
    package = upstream.add(ORDERS[2][0])
    answers = upstream.cancel_many([cancellable, package, "999999"])
    assert isinstance(answers[cancellable], Accepted)
    assert answers[package] == Refusal("Order cannot be canceled")
    assert answers["999999"] == Refusal("Incorrect order ID")

    refillable = upstream.add({**ORDERS[0][0], "link": "https://instagram.com/p/C2"})
    with pytest.raises(Refused) as early:
        upstream.refill(refillable)
    assert early.value.reason == "Order cannot be refilled"
    store.ledger.complete_order(int(refillable))
    refill = upstream.refill(refillable)
    assert refill.isdigit()
    assert upstream.refill_status_many([refill, "999999"]) == {
        refill: RefillStatus.PENDING,
        "999999": NotFound("Refill not found"),
    }
    with pytest.raises(Refused):  # one refill of an order open at a time
        upstream.refill(refillable)
