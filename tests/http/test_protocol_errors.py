"""Every row of the protocol's error table, with its exact text and HTTP code."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store
from tests.conftest import open_account, settle
from tests.http.conftest import Network

ACTIVE_LINK = "You have active order with this link. Please wait until order being completed."


def test_missing_or_unknown_key_is_401(network: Network) -> None:
    for data in ({"action": "balance"}, {"key": "nope", "action": "balance"}, {}):
        response = network.client.post("/api/v2", data=data)
        assert response.status_code == 401
        assert response.json() == {"error": "Invalid API key"}
        assert response.headers["content-type"] == "application/json"


def test_missing_or_unknown_action_is_400(network: Network) -> None:
    for data in ({"key": network.key}, {"key": network.key, "action": "steal"}):
        response = network.client.post("/api/v2", data=data)
        assert response.status_code == 400
        assert response.json() == {"error": "Invalid action"}


def test_unknown_malformed_or_foreign_order_is_incorrect_order_id(
    network: Network, store: Store
) -> None:
    _, other_key = open_account(store, "other")
    foreign = Network(network.client, store, other_key).add()
    for order in ("999999", "abc", "-1", "0", str(foreign)):
        assert network.call(action="status", order=order) == {"error": "Incorrect order ID"}
        assert network.call(action="cancel", order=order) == {"error": "Incorrect order ID"}
        assert network.call(action="refill", order=order) == {"error": "Incorrect order ID"}


def test_unknown_or_disabled_service(network: Network) -> None:
    for service in ("999", "5", "x"):
        answer = network.call(action="add", service=service, link="l", quantity="100")
        assert answer == {"error": "Incorrect service ID"}


def test_quantity_limits_and_malformed_quantities(network: Network) -> None:
    assert network.call(action="add", service="1", link="l", quantity="9") == {
        "error": "Quantity less than minimal 10"
    }
    assert network.call(action="add", service="1", link="l", quantity="10001") == {
        "error": "Quantity more than maximal 10000"
    }
    for quantity in ("ten", "-10", "0", "10.5", ""):
        assert network.call(action="add", service="1", link="l", quantity=quantity) == {
            "error": "Incorrect quantity"
        }


def test_missing_or_empty_link(network: Network) -> None:
    assert network.call(action="add", service="1", quantity="100") == {"error": "Incorrect link"}
    assert network.call(action="add", service="1", link=" ", quantity="100") == {
        "error": "Incorrect link"
    }


def test_not_enough_funds_records_nothing(network: Network, store: Store) -> None:
    answer = network.call(action="add", service="3", link="a")  # 12.00 each
    assert "order" in answer
    for link in "bcdefghi":
        network.call(action="add", service="3", link=link)
    assert network.call(action="add", service="3", link="z") == {
        "error": "Not enough funds on balance"
    }
    settle(store)
    assert network.call(action="balance") == {"balance": "4.00000", "currency": "EUR"}


def test_active_order_with_the_same_link(network: Network) -> None:
    network.add(link="https://example.com/same", quantity="100")
    again = network.call(action="add", service="1", link="https://example.com/same", quantity="100")
    assert again == {"error": ACTIVE_LINK}


def test_refill_of_an_ineligible_order(network: Network) -> None:
    order = network.add(quantity="100")
    assert network.call(action="refill", order=str(order)) == {"error": "Order cannot be refilled"}


def test_unknown_refill(network: Network) -> None:
    assert network.call(action="refill_status", refill="12345") == {"error": "Refill not found"}
    assert network.call(action="refill_status", refill="x") == {"error": "Refill not found"}


def test_cancel_of_an_ineligible_order(network: Network) -> None:
    order = network.add(quantity="100")  # service 1 does not cancel
    assert network.call(action="cancel", order=str(order)) == {"error": "Order cannot be canceled"}


def test_missing_parameters_and_too_many_ids(network: Network) -> None:
    for action in ("status", "refill", "cancel", "refill_status", "add"):
        answer = network.call(action=action)
        assert answer["error"].startswith("Incorrect request"), (action, answer)
    too_many = ",".join(str(n) for n in range(1, 102))
    assert network.call(action="status", orders=too_many)["error"].startswith("Incorrect request")
    hundred = ",".join(str(n) for n in range(1, 101))
    assert len(network.call(action="status", orders=hundred)) == 100


def test_errors_as_200_setting(client: TestClient, store: Store) -> None:  # type: ignore[type-arg]
    from dataclasses import replace

    from orderledger.http.app import create_app

    with TestClient(create_app(replace(store.settings, errors_as_200=True))) as lenient:
        response = lenient.post("/api/v2", data={"key": "nope", "action": "balance"})
        assert (response.status_code, response.json()) == (200, {"error": "Invalid API key"})


def test_nothing_a_client_sends_gets_a_500_or_html(network: Network) -> None:
    bodies = [
        {"content": b"\xff\xfe garbage", "headers": {"content-type": "application/json"}},
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        {"content": b"[1,2]", "headers": {"content-type": "application/json"}},
        {
            "content": b"--x\r\nbroken",
            "headers": {"content-type": "multipart/form-data; boundary=x"},
        },
        {"content": b"key=" + network.key.encode() + b"&action=status&order=1e9999"},
        {
            "content": b"key="
            + network.key.encode()
            + b"&action=add&service=99999999999999999999999"
        },
    ]
    for body in bodies:
        response = network.client.post("/api/v2", **body)  # type: ignore[arg-type]
        assert response.status_code in (200, 400, 401), (body, response.text)
        assert response.headers["content-type"] == "application/json"
        assert "error" in response.json()


def test_ids_beyond_64_bits_are_unknown_not_a_server_error(network: Network) -> None:
    huge = "9223372036854775808"
    assert network.call(action="status", order=huge) == {"error": "Incorrect order ID"}
    assert network.call(action="status", orders=f"{huge},1")[huge] == {
        "error": "Incorrect order ID"
    }
    assert network.call(action="refill_status", refill=huge) == {"error": "Refill not found"}
    assert network.call(action="cancel", order=huge) == {"error": "Incorrect order ID"}
    assert network.call(action="add", service=huge, link="l", quantity="100") == {
        "error": "Incorrect service ID"
    }


def test_an_action_that_is_not_text_is_an_invalid_action(network: Network) -> None:
    response = network.client.post("/api/v2", json={"key": network.key, "action": ["balance"]})
    assert (response.status_code, response.json()) == (400, {"error": "Invalid action"})


def test_a_lone_surrogate_in_a_json_link_is_an_incorrect_link(network: Network) -> None:
    body = '{"key": "%s", "action": "add", "service": 1, "link": "\\ud800", "quantity": 100}'
    response = network.client.post(
        "/api/v2", content=body % network.key, headers={"content-type": "application/json"}
    )
    assert response.json() == {"error": "Incorrect link"}


def test_other_methods_and_huge_bodies_get_json_refusals(network: Network) -> None:
    put = network.client.put("/api/v2", data={"key": network.key, "action": "balance"})
    assert (put.status_code, put.json()) == (405, {"error": "Method Not Allowed"})
    assert put.headers["content-type"] == "application/json"
    assert "POST" in put.headers["allow"]
    huge = network.client.post(
        "/api/v2", content=b"key=" + network.key.encode() + b"&x=" + b"a" * 10_000_001
    )
    assert huge.status_code == 413
    assert huge.headers["content-type"] == "application/json"
    assert "error" in huge.json()


def test_an_unexpected_failure_is_a_json_503_not_a_stack_trace(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("orderledger.http.api_v2.perform", broken)
    # `services`: always performed (a plain `balance` may be answered whole by the key's query)
    response = network.client.post("/api/v2", data={"key": network.key, "action": "services"})
    assert response.status_code == 503
    assert response.json() == {"error": "Service temporarily unavailable, please retry"}


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("multipart/form-data", b"key=x"),  # no boundary
        ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
        ("multipart/form-data; boundary=x", b"--x\r\n" * 1_200 + b"--x--\r\n"),  # too many parts
    ],
    ids=["no boundary", "truncated", "too many parts"],
)
def test_a_body_that_cannot_be_read_reads_as_no_fields(
    network: Network, content_type: str, body: bytes
) -> None:
    """The client hears what any request without a key hears, and lenient servers say it
    with a 200, as the network's panels need."""
    from dataclasses import replace

    from orderledger.http.app import create_app

    response = network.client.post("/api/v2", content=body, headers={"content-type": content_type})
    assert (response.status_code, response.json()) == (401, {"error": "Invalid API key"})
    settings = replace(network.store.settings, errors_as_200=True)
    with TestClient(create_app(settings)) as lenient:
        response = lenient.post("/api/v2", content=body, headers={"content-type": content_type})
        assert (response.status_code, response.json()) == (200, {"error": "Invalid API key"})
