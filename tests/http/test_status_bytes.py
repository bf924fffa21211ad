"""`status` answers byte for byte, from the order-status table and from the events alike."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from orderledger.cli.common import catch_up
from orderledger.domain.money import wire
from orderledger.projections.order_status import ORDER_STATUS
from orderledger.projections.rebuild import rebuild
from tests.http.conftest import Network


def status_bytes(network: Network, **fields: str) -> bytes:
    response = network.client.post(
        "/api/v2", data={"key": network.key, "action": "status", **fields}
    )
    assert response.headers["content-type"] == "application/json"
    return response.content


@pytest.mark.parametrize("projected", [True, False], ids=["from the table", "from the events"])
def test_status_bytes_are_the_same_from_the_table_and_from_the_events(
    network: Network, projected: bool
) -> None:
    first = network.add(quantity="300", link="a")
    second = network.add(service=3, link="b")  # a package: the flat rate, 12.00000
    if projected:
        catch_up(network.store)
    single = status_bytes(network, order=str(first))
    assert single == (
        b'{"charge":"0.75000","start_count":"0","status":"Pending",'
        b'"remains":"300","currency":"EUR"}'
    )
    multi = status_bytes(network, orders=f"{second}, x,{first}")
    assert multi == (
        b'{"%d":{"charge":"12.00000","start_count":"0","status":"Pending",'
        b'"remains":"1","currency":"EUR"},"x":{"error":"Incorrect order ID"},'
        b'"%d":{"charge":"0.75000","start_count":"0","status":"Pending",'
        b'"remains":"300","currency":"EUR"}}' % (second, first)
    )


@pytest.mark.parametrize("projected", [True, False], ids=["from the table", "from the events"])
def test_plain_numbers_are_answered_in_the_asked_order_once_each(
    network: Network, projected: bool
) -> None:
    """On PostgreSQL, orders that all have their rows are answered whole by the key's query;
    the bytes are those of the usual path, which answers the others."""
    first = network.add(quantity="300", link="a")
    second = network.add(service=3, link="b")
    if projected:
        catch_up(network.store)
    assert status_bytes(network, orders=f"{second},{first},{second}") == (
        b'{"%d":{"charge":"12.00000","start_count":"0","status":"Pending",'
        b'"remains":"1","currency":"EUR"},'
        b'"%d":{"charge":"0.75000","start_count":"0","status":"Pending",'
        b'"remains":"300","currency":"EUR"}}' % (second, first)
    )


@pytest.mark.parametrize(
    "text",
    [
        *["0.00000", "-0.00000", "12.34567", "1234567890.10000", "0.1", "7", "1E+3"],
        *["007.00000", "0.123455", "2.000005"],  # the last two: half-up, as `wire` rounds
    ],
)
def test_a_stored_charge_reaches_the_wire_as_wire_writes_it(network: Network, text: str) -> None:
    """The projection stores five-place amounts; any other text it might hold (an older
    table, a hand edit) still answers exactly as `wire` writes it, on both stores."""
    number = network.add(quantity="300", link="a")
    catch_up(network.store)
    with network.store.db.transaction() as cursor:
        cursor.execute(
            "UPDATE orderledger_order_status SET charge = %s WHERE number = %s", (text, number)
        )
    expected = wire(Decimal(text)).encode()
    assert status_bytes(network, order=str(number)).startswith(b'{"charge":"%s"' % expected)
    assert status_bytes(network, orders=f"{number},x").startswith(
        b'{"%d":{"charge":"%s"' % (number, expected)
    )


# The stored answer is PostgreSQL's (SQLite builds each answer from the row).
postgres_only = pytest.mark.parametrize("backend", ["postgres"])


@postgres_only
def test_a_table_from_before_the_stored_answer_gains_it_at_start(network: Network) -> None:
    """An order-status table made by an older version, without the answer column, gets it
    (filled for its rows) when the projections are next ensured, as at every start."""
    number = network.add(quantity="300", link="a")
    catch_up(network.store)
    before = status_bytes(network, orders=f"{number},x")
    with network.store.db.transaction() as cursor:
        cursor.execute("ALTER TABLE orderledger_order_status DROP COLUMN answer")
    network.store.projector().ensure()
    assert status_bytes(network, orders=f"{number},x") == before


@postgres_only
def test_a_rebuilt_order_status_table_keeps_the_answer(network: Network) -> None:
    first = network.add(quantity="300", link="a")
    second = network.add(service=3, link="b")
    catch_up(network.store)
    before = status_bytes(network, orders=f"{first},{second}")
    assert rebuild(network.store.ledger, network.store.db, [ORDER_STATUS])
    assert status_bytes(network, orders=f"{first},{second}") == before


@postgres_only
@pytest.mark.parametrize("text", ['say "hi"', "back\\slash", "tab\tand\x01", "naïve €", ""])
def test_postgres_quotes_a_text_as_the_wire_does(network: Network, text: str) -> None:
    with network.store.db.transaction() as cursor:
        cursor.execute("SELECT orderledger_json_string(%s)", (text,))
        row = cursor.fetchone()
    assert row is not None
    assert str(row[0]).encode() == msgspec.json.encode(text)
