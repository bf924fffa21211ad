"""Every action's single and multi shapes, with the exact JSON types of the protocol."""

from __future__ import annotations

import json
from decimal import Decimal

from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.domain.account import Billing
from orderledger.http.app import create_app
from tests.conftest import open_account, settle
from tests.http.conftest import Network

RECEIVED = "Your refill request has been received, please wait."
CANCEL_RECEIVED = "Your cancellation request has been received."


def test_services_lists_enabled_services_with_the_protocols_types(network: Network) -> None:
    settle(network.store)
    services = network.call(action="services")
    assert [s["service"] for s in services] == [1, 2, 3, 4]  # 5 is disabled
    assert services[1] == {
        "service": 2,
        "name": "Service 2",
        "type": "Default",
        "category": "Tests",
        "rate": "2.50",
        "min": "10",
        "max": "10000",
        "dripfeed": True,
        "refill": True,
        "cancel": True,
        "description": "",
    }


def test_add_answers_a_numeric_order_id(network: Network) -> None:
    answer = network.call(action="add", service="1", link="https://x", quantity="100")
    assert list(answer) == ["order"] and isinstance(answer["order"], int) and answer["order"] > 0


def test_status_single_has_all_values_as_strings(network: Network) -> None:
    order = network.add(quantity="300")
    assert network.call(action="status", order=str(order)) == {
        "charge": "0.75000",
        "start_count": "0",
        "status": "Pending",
        "remains": "300",
        "currency": "EUR",
    }


def test_status_multi_is_keyed_by_the_requested_ids_in_request_order(network: Network) -> None:
    first = network.add(link="a")
    second = network.add(link="b")
    answer = network.call(action="status", orders=f" {second} ,999999, {first},x")
    assert list(answer) == [str(second), "999999", str(first), "x"]
    assert answer["999999"] == {"error": "Incorrect order ID"}
    assert answer["x"] == {"error": "Incorrect order ID"}
    assert answer[str(first)]["status"] == "Pending"
    assert all(isinstance(v, str) for v in answer[str(second)].values())


def test_status_follows_the_lifecycle_and_refunds(network: Network, store: Store) -> None:
    order = network.add(service=2, quantity="400")  # 1.00
    store.ledger.start_order(order, 1234)
    store.ledger.report_delivery(order, 100)
    settle(store)
    assert network.call(action="status", order=str(order)) == {
        "charge": "1.00000",
        "start_count": "1234",
        "status": "In progress",
        "remains": "300",
        "currency": "EUR",
    }
    store.ledger.stop_partial(order, 300)
    settle(store)
    answer = network.call(action="status", order=str(order))
    assert (answer["status"], answer["charge"], answer["remains"]) == ("Partial", "0.25000", "300")
    assert network.call(action="balance") == {"balance": "99.75000", "currency": "EUR"}


def test_read_your_writes_without_a_running_projector(store: Store) -> None:
    store.ledger.sync_services([__import__("tests.conftest").conftest.entry(1)])
    _, key = open_account(store)
    with TestClient(create_app(store.settings, projector=False)) as client:
        order = client.post(
            "/api/v2",
            data={"key": key, "action": "add", "service": 1, "link": "l", "quantity": 100},
        ).json()["order"]
        single = client.post("/api/v2", data={"key": key, "action": "status", "order": order})
        assert single.json()["status"] == "Pending"
        multi = client.post("/api/v2", data={"key": key, "action": "status", "orders": f"{order}"})
        assert multi.json()[str(order)]["remains"] == "100"


def test_refill_single_and_multi(network: Network, store: Store) -> None:
    done = network.add(service=2, link="a")
    other = network.add(service=2, link="b")
    store.ledger.complete_order(done)
    store.ledger.complete_order(other)
    assert network.call(action="refill", order=str(done)) == {
        "order": str(done),
        "refill": "1",
        "message": RECEIVED,
    }
    plain = network.add(service=1, link="c")
    answer = network.call(action="refill", orders=f"{other},{plain},999999")
    assert answer == [
        {"order": other, "refill": 2, "message": RECEIVED},
        {
            "order": plain,
            "refill": {"error": "Order cannot be refilled"},
            "message": "Order cannot be refilled",
        },
        {
            "order": 999999,
            "refill": {"error": "Incorrect order ID"},
            "message": "Incorrect order ID",
        },
    ]


def test_refill_status_single_and_multi(network: Network, store: Store) -> None:
    order = network.add(service=2)
    store.ledger.complete_order(order)
    refill = int(network.call(action="refill", order=str(order))["refill"])
    assert network.call(action="refill_status", refill=str(refill)) == {
        "refill": refill,
        "status": "Pending",
    }
    store.ledger.complete_refill(refill)
    settle(store)
    assert network.call(action="refill_status", refills=f"{refill},777") == [
        {"refill": refill, "status": "Completed"},
        {"refill": 777, "status": {"error": "Refill not found"}},
    ]


def test_cancel_single_and_multi(network: Network, store: Store) -> None:
    first = network.add(service=2, link="a")
    second = network.add(service=2, link="b")
    assert network.call(action="cancel", order=str(first)) == {
        "order": first,
        "cancel": CANCEL_RECEIVED,
    }
    assert network.call(action="cancel", orders=f"{second},999999") == [
        {"order": second, "cancel": CANCEL_RECEIVED},
        {"order": 999999, "cancel": {"error": "Incorrect order ID"}},
    ]
    store.ledger.cancel_order(first)
    settle(store)
    answer = network.call(action="status", order=str(first))
    assert (answer["status"], answer["charge"]) == ("Canceled", "0.00000")


def test_balance_of_prepaid_and_postpaid(network: Network, store: Store) -> None:
    settle(store)
    assert network.call(action="balance") == {"balance": "100.00000", "currency": "EUR"}
    _, key = open_account(store, "post", deposit=None, billing=Billing.POSTPAID, credit="10000")
    postpaid = Network(network.client, store, key)
    postpaid.add(service=3)
    settle(store)
    assert postpaid.call(action="balance") == {"balance": "10000.00000", "currency": "USD"}
    assert store.ledger.account("post").owed == Decimal("12.00000")


def test_json_multipart_get_and_charset_bodies(network: Network) -> None:
    client = network.client
    order = network.add()
    expected = network.call(action="status", order=str(order))
    as_json = client.post("/api/v2", json={"key": network.key, "action": "status", "order": order})
    assert as_json.json() == expected
    multipart = client.post(
        "/api/v2",
        files={"key": (None, network.key), "action": (None, "status"), "order": (None, str(order))},
    )
    assert multipart.json() == expected
    charset = client.post(
        "/api/v2",
        content=f"key={network.key}&action=status&order={order}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert charset.json() == expected
    query = client.get("/api/v2", params={"key": network.key, "action": "status", "order": order})
    assert query.json() == expected
    numbers = client.post(
        "/api/v2",
        content=json.dumps(
            {"key": network.key, "action": "add", "service": 1, "link": "n", "quantity": 100}
        ),
        headers={"content-type": "application/json"},
    )
    assert isinstance(numbers.json()["order"], int)


def test_unknown_fields_are_ignored(network: Network) -> None:
    answer = network.call(action="add", service="1", link="u", quantity="100", foo="bar", runs="")
    assert "order" in answer


def test_lists_of_ids_as_php_node_and_python_clients_send_them(network: Network) -> None:
    first, second = network.add(link="a"), network.add(link="b")
    for body in (
        f"orders[]={first}&orders[]={second}",  # PHP http_build_query
        f"orders[0]={first}&orders[1]={second}",  # Node qs.stringify
        f"orders={first}&orders={second}",  # Python requests with a list
    ):
        response = network.client.post(
            "/api/v2",
            content=f"key={network.key}&action=status&{body}".encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert list(response.json()) == [str(first), str(second)], body
    one = network.client.post(
        "/api/v2", json={"key": network.key, "action": "status", "orders": first}
    ).json()
    assert list(one) == [str(first)]
    mixed = network.client.post(
        "/api/v2", json={"key": network.key, "action": "status", "orders": [first, "abc"]}
    ).json()
    assert mixed["abc"] == {"error": "Incorrect order ID"} and "status" in mixed[str(first)]


def test_repeated_ids_count_once_and_a_stray_single_id_is_ignored(network: Network) -> None:
    order = network.add()
    answer = network.call(action="status", orders=",".join([str(order)] * 150), order="x")
    assert list(answer) == [str(order)]


def test_spaces_around_a_service_id_are_tolerated(network: Network) -> None:
    assert "order" in network.call(action="add", service=" 1 ", link="sp", quantity="100")


def test_a_declared_latin_1_body_is_read_in_its_charset(network: Network, store: Store) -> None:
    response = network.client.post(
        "/api/v2",
        content=f"key={network.key}&action=add&service=1&quantity=100&link=https://x/caf%E9".encode(),
        headers={"content-type": "application/x-www-form-urlencoded; charset=ISO-8859-1"},
    )
    order = store.ledger.order(response.json()["order"])
    assert order is not None and order.link == "https://x/café"
