"""Inputs that published clients send, read the way the protocol says."""

from __future__ import annotations

from typing import Any

from orderledger.bootstrap import Store
from tests.conftest import settle
from tests.http.conftest import Network

NOT_FOUND = {"error": "Refill not found"}
INCORRECT_ORDER = {"error": "Incorrect order ID"}


def completed_refill(network: Network, store: Store) -> int:
    order = network.add(service=2)
    store.ledger.complete_order(order)
    refill = int(network.call(action="refill", order=str(order))["refill"])
    store.ledger.complete_refill(refill)
    settle(store)
    return refill


def test_refill_status_reads_order_and_orders_as_refill_and_refills(
    network: Network, store: Store
) -> None:
    refill = completed_refill(network, store)
    single = {"refill": refill, "status": "Completed"}
    assert network.call(action="refill_status", order=str(refill)) == single
    assert network.call(action="refill_status", order="777") == NOT_FOUND
    assert network.call(action="refill_status", order="x") == NOT_FOUND
    assert network.call(action="refill_status", orders=f"{refill},777") == [
        single,
        {"refill": 777, "status": NOT_FOUND},
    ]


def test_refill_and_refills_win_over_order_and_orders(network: Network, store: Store) -> None:
    refill = completed_refill(network, store)
    single = {"refill": refill, "status": "Completed"}
    assert network.call(action="refill_status", refill=str(refill), order="777") == single
    assert network.call(action="refill_status", refills=str(refill), orders="777") == [single]


def single_and_multi(network: Network, action: str, written: str) -> tuple[Any, Any]:
    single = network.call(action=action, order=written)
    multi = network.call(action=action, orders=written)
    return single, multi


def test_an_id_with_leading_zeros_is_that_order_in_single_and_multi_requests(
    network: Network,
) -> None:
    order = network.add()
    written = f"0{order}"
    single, multi = single_and_multi(network, "status", written)
    assert single["status"] == "Pending"
    assert multi == {written: single}


def test_an_id_written_as_a_decimal_or_an_exponent_is_no_order_in_either_request(
    network: Network,
) -> None:
    order = network.add()
    for written in (f"{order}.0", f"{order}e0", f"+{order}"):
        single, multi = single_and_multi(network, "status", written)
        assert single == INCORRECT_ORDER
        assert multi == {written: INCORRECT_ORDER}
        single, multi = single_and_multi(network, "cancel", written)
        assert single == INCORRECT_ORDER
        assert multi == [{"order": written, "cancel": INCORRECT_ORDER}]


def test_json_whole_numbers_are_ids_and_json_fractions_are_not(network: Network) -> None:
    order = network.add()

    def status(**fields: Any) -> Any:
        body = {"key": network.key, "action": "status", **fields}
        return network.client.post("/api/v2", json=body).json()

    assert status(order=order)["status"] == "Pending"
    assert status(orders=[order])[str(order)]["status"] == "Pending"
    assert status(order=float(order)) == INCORRECT_ORDER
    assert status(orders=[float(order)]) == {f"{order}.0": INCORRECT_ORDER}


def test_a_service_id_is_read_like_an_order_id(network: Network) -> None:
    assert "order" in network.call(action="add", service="01", link="a", quantity="100")
    for written in ("1.0", "1e0"):
        answer = network.call(action="add", service=written, link="b", quantity="100")
        assert answer == {"error": "Incorrect service ID"}
