"""Helpers for the fulfilment tests: a bot with an operator token, a controllable clock, and
the network's view of an order through /api/v2."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.cli.common import catch_up as caught_up
from orderledger.storage.credentials import Role


@dataclass
class Clock:
    moment: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@dataclass
class Bot:
    client: TestClient  # type: ignore[type-arg]
    token: str

    def call(self, path: str, body: Any = None, method: str = "POST") -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        if method == "GET":
            return self.client.get(f"/dispatch/{path}", headers=headers)
        return self.client.post(f"/dispatch/{path}", json=body, headers=headers)

    def ok(self, path: str, body: Any = None, method: str = "POST") -> Any:
        response = self.call(path, body, method)
        assert response.status_code == 200, response.text
        return response.json()

    def claim(self, **body: Any) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = self.ok("orders/claim", body)["orders"]
        return orders


def bot(client: TestClient, store: Store, name: str = "bot-1") -> Bot:  # type: ignore[type-arg]
    return Bot(client, store.credentials.issue(Role.OPERATOR, name, name))


@dataclass
class Network:
    """The network's side: /api/v2 with its account key."""

    client: TestClient  # type: ignore[type-arg]
    store: Store
    key: str

    def call(self, action: str, **fields: Any) -> Any:
        response = self.client.post("/api/v2", data={"key": self.key, "action": action, **fields})
        assert response.status_code == 200, response.text
        return response.json()

    def add(self, service: int, **fields: Any) -> int:
        answer = self.call("add", service=service, **fields)
        assert "order" in answer, answer
        caught_up(self.store)
        return int(answer["order"])

    def status(self, order: int) -> dict[str, str]:
        caught_up(self.store)
        answer: dict[str, str] = self.call("status", order=order)
        return answer

    def refill_status(self, refill: int) -> Any:
        caught_up(self.store)
        return self.call("refill_status", refill=refill)["status"]

    def balance(self) -> str:
        caught_up(self.store)
        return str(self.call("balance")["balance"])
