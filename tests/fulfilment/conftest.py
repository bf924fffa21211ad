"""The world of the fulfilment tests: a catalogue, a funded account on /api/v2 and a bot
with an operator token, on a clock the test controls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.http.app import create_app
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account
from tests.fulfilment.support import Bot, Clock, Network, bot

DEFAULT, DRIP, SUBSCRIPTION, PACKAGE, COMMENTS = 1, 2, 3, 4, 5


@dataclass
class World:
    network: Network
    bot: Bot
    clock: Clock
    store: Store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(settings: Settings, store: Store, clock: Clock) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The app on the test's clock: claims, leases, drip-feed runs and the sweep go by it."""
    with TestClient(create_app(settings, clock=clock)) as test_client:
        yield test_client


@pytest.fixture
def world(client: TestClient, store: Store, clock: Clock) -> Iterator[World]:  # type: ignore[type-arg]
    store.ledger.sync_services(
        [
            entry(DEFAULT, cancel=True, refill=True),
            entry(DRIP, dripfeed=True),
            entry(SUBSCRIPTION, "Subscriptions", rate=Decimal("4.00"), min=100, max=500),
            entry(PACKAGE, "Package", rate=Decimal("7.25"), min=1, max=1),
            entry(COMMENTS, "Custom Comments", rate=Decimal("10"), min=1, max=100),
        ]
    )
    _, key = open_account(store, deposit="100")
    yield World(Network(client, store, key), bot(client, store), clock, store)
