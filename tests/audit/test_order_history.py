from __future__ import annotations

import json

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.storage.credentials import Role
from tests.audit.conftest import Cli, audited_order

EXPECTED_EVENTS = [
    ("order", "Order.Placed", "Pending", "2.50000", 1000, 0),
    ("order", "Order.Started", "In progress", "2.50000", 1000, 120),
    ("order", "Order.DeliveryReported", "In progress", "2.50000", 600, 120),
    ("order", "Order.CancelRequested", "In progress", "2.50000", 600, 120),
    ("order", "Order.PartiallyCompleted", "Partial", "1.00000", 600, 120),
    ("refill", "Refill.Requested", "Partial", "1.00000", 600, 120),
    ("order", "Order.RefillRequested", "Partial", "1.00000", 600, 120),
    ("refill", "Refill.Completed", "Partial", "1.00000", 600, 120),
    ("order", "Order.RefillClosed", "Partial", "1.00000", 600, 120),
]


def history_json(cli: Cli, *argv: str) -> list[dict[str, object]]:
    status, out, err = cli("orders", "history", *argv, "--json")
    assert status == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_history_lists_every_event_of_the_order_and_its_refill_with_the_state_it_led_to(
    store: Store, cli: Cli
) -> None:
    order = audited_order(store)
    lines = history_json(cli, str(order.number))
    seen = [
        (
            str(line["aggregate"]).split()[0],
            line["event"],
            line["state"]["status"],  # type: ignore[index]
            line["state"]["charge"],  # type: ignore[index]
            line["state"]["remains"],  # type: ignore[index]
            line["state"]["start_count"],  # type: ignore[index]
        )
        for line in lines
    ]
    assert seen == EXPECTED_EVENTS
    assert [line["version"] for line in lines if line["aggregate"] == f"order {order.number}"] == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
    ]
    assert lines[4]["facts"] == {"refund": "1.50000", "remains": 600}
    assert lines[-1]["state"]["refills"] == {str(order.refill): "Completed"}  # type: ignore[index]
    times = [str(line["time"]) for line in lines]
    assert times == sorted(times)


def test_history_at_a_moment_shows_the_order_as_it_stood_then(store: Store, cli: Cli) -> None:
    order = audited_order(store)
    delivery_reported = history_json(cli, str(order.number))[2]["time"]
    lines = history_json(cli, str(order.number), "--at", str(delivery_reported))
    assert [line.get("event") for line in lines] == [
        "Order.Placed",
        "Order.Started",
        "Order.DeliveryReported",
        None,
    ]
    assert lines[-1]["state"] == {
        "status": "In progress",
        "charge": "2.50000",
        "remains": 600,
        "start_count": 120,
        "refills": {},
    }

    status, out, _ = cli("orders", "history", str(order.number), "--at", str(delivery_reported))
    assert status == 0
    assert out.splitlines()[-1].endswith(
        "In progress, charge 2.50000, remains 600, start_count 120"
    )
    assert "PartiallyCompleted" not in out


def test_history_before_the_order_existed_says_so(store: Store, cli: Cli) -> None:
    order = audited_order(store)
    status, out, _ = cli("orders", "history", str(order.number), "--at", "2001-01-01T00:00:00")
    assert status == 0
    assert out.splitlines() == [
        f"order {order.number}",
        "at 2001-01-01T00:00:00+00:00: the order did not exist yet",
    ]


def test_history_text_shows_each_event_with_its_facts_and_state(store: Store, cli: Cli) -> None:
    order = audited_order(store)
    status, out, _ = cli("orders", "history", str(order.number))
    assert status == 0
    assert f'order {order.number} v5  Order.PartiallyCompleted  refund="1.50000" remains=600' in out
    assert "-> Partial, charge 1.00000, remains 600, start_count 120, refill 1 Completed" in out


def test_history_of_an_unknown_order_fails_readably(store: Store, cli: Cli) -> None:
    status, _, err = cli("orders", "history", "424242")
    assert status == 1
    assert "no order 424242" in err


def test_a_moment_that_is_not_iso_8601_is_refused(store: Store, cli: Cli) -> None:
    with pytest.raises(SystemExit) as refused:
        cli("orders", "history", "1", "--at", "yesterday")
    assert refused.value.code == 2
    assert "not an ISO 8601 timestamp: 'yesterday'" in cli.capsys.readouterr().err


def test_an_auditor_token_reads_the_history_over_http(
    store: Store,
    cli: Cli,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    order = audited_order(store)
    status, out, _ = cli("auditors", "create", "alice")
    assert status == 0
    token = out.splitlines()[-1]
    response = client.get(
        f"/audit/orders/{order.number}/history", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    body = response.json()
    assert [e["event"] for e in body["entries"]] == [e[1] for e in EXPECTED_EVENTS]
    assert body["state"]["status"] == "Partial"
    assert body["state"]["charge"] == "1.00000"

    at = body["entries"][1]["time"]
    then = client.get(
        f"/audit/orders/{order.number}/history",
        params={"at": at},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert len(then["entries"]) == 2
    assert then["state"]["status"] == "In progress"
    assert then["state"]["start_count"] == 120


def test_the_history_is_refused_without_an_auditor_token(
    store: Store,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    order = audited_order(store)
    path = f"/audit/orders/{order.number}/history"
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    # The network's API key is not an auditor's token.
    refused = client.get(path, headers={"Authorization": f"Bearer {order.key}"})
    assert refused.status_code == 401
    assert "auditor" in refused.json()["error"]


def test_an_unknown_order_is_not_found_for_an_auditor(
    store: Store,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    token = store.credentials.issue(Role.AUDITOR, "bob", "bob")
    response = client.get("/audit/orders/999/history", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert response.json() == {"error": "no order 999"}


def test_the_openapi_schema_describes_the_history(
    store: Store,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/audit/orders/{number}/history"]["get"]
    parameters = {p["name"] for p in operation["parameters"]}
    assert {"number", "at"} <= parameters
    assert operation["security"] == [{"bearer": []}]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert "OrderHistoryAnswer" in answer["$ref"]
    fields = schema["components"]["schemas"]["OrderHistoryAnswer"]["properties"]
    assert {"order", "at", "state", "entries"} <= set(fields)
