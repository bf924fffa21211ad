from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store
from tests.conftest import entry, open_account


@dataclass
class Network:
    """The network as a client of /api/v2 with one funded account."""

    client: TestClient  # type: ignore[type-arg]
    store: Store
    key: str

    def call(self, **fields: Any) -> Any:
        response = self.client.post("/api/v2", data={"key": self.key, **fields})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        return response.json()

    def add(self, service: int = 1, link: str = "https://example.com/p", **fields: Any) -> int:
        fields.setdefault("quantity", "100")
        answer = self.call(action="add", service=str(service), link=link, **fields)
        assert isinstance(answer.get("order"), int), answer
        return int(answer["order"])


CATALOGUE = [
    entry(1),  # Default, rate 2.50, 10..10000
    entry(2, refill=True, cancel=True, dripfeed=True),
    entry(3, "Package", rate=Decimal("12")),
    entry(4, "Custom Comments", rate=Decimal("10"), min=1, max=100),
    entry(5),  # disabled by the fixture
]


@pytest.fixture
def network(client: TestClient, store: Store) -> Network:  # type: ignore[type-arg]
    store.ledger.sync_services(CATALOGUE)
    store.ledger.disable_services([5])
    _, key = open_account(store, "network", deposit="100", currency="EUR")
    return Network(client, store, key)
