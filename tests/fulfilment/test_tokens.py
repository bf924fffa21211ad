"""Who may call the fulfilment and audit APIs: every route of each is closed to a request
without a token of its role, the same way, and a token is looked up once per request."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from litestar.testing import TestClient

from orderledger.storage.credentials import Role
from orderledger.views.reads import ReadModels
from tests.fulfilment.conftest import DEFAULT, World


def routes(client: TestClient, prefix: str) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """Every (method, path) the OpenAPI schema lists under `prefix`, with 1 for each number."""
    paths = client.get("/schema/openapi.json").json()["paths"]
    return [
        (method, path.replace("{number}", "1"))
        for path, methods in paths.items()
        if path.startswith(prefix)
        for method in methods
    ]


def refusals(client: TestClient, prefix: str, headers: dict[str, str]) -> set[Any]:  # type: ignore[type-arg]
    found = set()
    for method, path in routes(client, prefix):
        response = client.request(method.upper(), path, json={}, headers=headers)
        assert response.headers["content-type"] == "application/json"
        found.add(
            (response.status_code, response.json()["error"], "www-authenticate" in response.headers)
        )
    return found


def test_every_fulfilment_route_refuses_a_request_without_an_operator_token(
    world: World,
) -> None:
    client = world.network.client
    assert len(routes(client, "/dispatch/")) == 18
    auditor = world.store.credentials.issue(Role.AUDITOR, "someone", "someone")
    assert refusals(client, "/dispatch/", {}) == {
        (401, "send Authorization: Bearer <operator token>", False)
    }
    assert refusals(client, "/dispatch/", {"Authorization": f"Bearer {auditor}"}) == {
        (401, "invalid operator token", False)
    }


def test_every_audit_route_refuses_a_request_without_an_auditor_token(world: World) -> None:
    client = world.network.client
    assert refusals(client, "/audit/", {}) == {
        (401, "send Authorization: Bearer <auditor token>", False)
    }
    assert refusals(client, "/audit/", {"Authorization": f"Bearer {world.bot.token}"}) == {
        (401, "invalid auditor token", False)
    }


def test_a_report_looks_its_token_up_once(world: World) -> None:
    number = world.network.add(DEFAULT, link="https://x/once", quantity=100)
    world.bot.claim()
    looked_up = []
    holder = ReadModels.holder

    async def counted(self: ReadModels, token: str, role: Role) -> str | None:
        looked_up.append(role)
        return await holder(self, token, role)

    with patch.object(ReadModels, "holder", counted):
        started = world.bot.ok(f"orders/{number}/start", {"start_count": 3})
    assert looked_up == [Role.OPERATOR]
    assert started["status"] == "In progress"  # made as the token's bot, who holds the claim
    order = world.store.ledger.order(number)
    assert order is not None and order.start_count == 3
