"""`status` answers byte for byte, from the order-status table and from the events alike."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from orderledger.bootstrap import Store
from orderledger.cli.common import catch_up
from orderledger.domain.money import wire
from orderledger.http import presenters
from orderledger.projections.order_status import ANSWER_COLUMN, ORDER_STATUS
from orderledger.projections.rebuild import rebuild
from orderledger.projections.tables import Target, column_names
from tests.audit.conftest import busy_ledger
from tests.conftest import open_account
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
    third = network.add(quantity="100", link="c")
    if projected:
        catch_up(network.store)
    assert status_bytes(network, orders=f"{second},{third},{first},{second}") == (
        b'{"%d":{"charge":"12.00000","start_count":"0","status":"Pending",'
        b'"remains":"1","currency":"EUR"},'
        b'"%d":{"charge":"0.25000","start_count":"0","status":"Pending",'
        b'"remains":"100","currency":"EUR"},'
        b'"%d":{"charge":"0.75000","start_count":"0","status":"Pending",'
        b'"remains":"300","currency":"EUR"}}' % (second, third, first)
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


def only_the_key_query_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, a `status` the usual path would answer fails (503)."""

    def usual_path(*_: object) -> None:
        raise AssertionError("answered by the usual path")

    monkeypatch.setattr("orderledger.http.api_v2.perform", usual_path)


def plain_answers(network: Network, numbers: list[int]) -> tuple[bytes, bytes]:
    single = status_bytes(network, order=str(numbers[0]))
    multi = status_bytes(network, orders=",".join(str(n) for n in numbers))
    return single, multi


def two_projected_orders(network: Network) -> tuple[list[int], tuple[bytes, bytes]]:
    """Two orders in their rows (asked second first), and their answers."""
    numbers = [network.add(service=3, link="b"), network.add(quantity="300", link="a")]
    catch_up(network.store)
    return numbers, plain_answers(network, numbers)


def drop_the_answer_column(network: Network) -> None:
    """As an older version's table, or its rebuild, has it."""
    with network.store.db.transaction() as cursor:
        cursor.execute(f"ALTER TABLE orderledger_order_status DROP COLUMN {ANSWER_COLUMN}")


@postgres_only
def test_every_stored_answer_is_the_presenters_json(store: Store) -> None:
    """Orders in every state, each row's stored answer byte for byte as the presenter
    writes it from the row."""
    busy_ledger(store)
    catch_up(store)
    columns = ", ".join(column_names(Target.live(ORDER_STATUS)))
    with store.db.transaction() as cursor:
        cursor.execute(f"SELECT {columns}, {ANSWER_COLUMN} FROM orderledger_order_status")
        rows = cursor.fetchall()
    statuses = set()
    for values in rows:
        row = ORDER_STATUS.from_db(values[:-1])
        statuses.add(row.status)
        assert str(values[-1]).encode() == msgspec.json.encode(presenters.order_status(row))
    assert {"Pending", "In progress", "Completed", "Partial", "Canceled"} <= statuses


@postgres_only
def test_orders_that_all_have_rows_are_answered_by_the_key_query_alone(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers, before = two_projected_orders(network)
    only_the_key_query_answers(monkeypatch)
    assert plain_answers(network, numbers) == before


@postgres_only
def test_someone_elses_order_in_a_plain_list_is_unknown(network: Network) -> None:
    mine = network.add(quantity="300", link="a")
    other, _ = open_account(network.store, "other", deposit="100")
    theirs = network.store.ledger.place_order(other.id, 1, {"link": "a", "quantity": "100"})
    catch_up(network.store)
    assert status_bytes(network, orders=f"{theirs.number},{mine}") == (
        b'{"%d":{"error":"Incorrect order ID"},'
        b'"%d":{"charge":"0.75000","start_count":"0","status":"Pending",'
        b'"remains":"300","currency":"EUR"}}' % (theirs.number, mine)
    )


@postgres_only
def test_a_table_from_before_the_stored_answer_gains_it_at_start(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An order-status table made by an older version, without the answer column, gets it,
    filled for its rows, when the projections are next ensured, as at every start."""
    numbers, before = two_projected_orders(network)
    drop_the_answer_column(network)
    network.store.projector().ensure()
    only_the_key_query_answers(monkeypatch)
    assert plain_answers(network, numbers) == before


@postgres_only
def test_without_the_answer_column_every_request_takes_the_usual_path(
    network: Network,
) -> None:
    """A live table without the column (an older version's rebuild, during a rolling
    upgrade) slows the API down; it does not take it down."""
    numbers, before = two_projected_orders(network)
    drop_the_answer_column(network)
    assert plain_answers(network, numbers) == before
    assert network.call(action="balance")["currency"] == "EUR"
    assert isinstance(network.add(link="c"), int)


@postgres_only
def test_a_rebuilt_order_status_table_keeps_the_answer(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers, before = two_projected_orders(network)
    assert rebuild(network.store.ledger, network.store.db, [ORDER_STATUS])
    only_the_key_query_answers(monkeypatch)
    assert plain_answers(network, numbers) == before


@postgres_only
@pytest.mark.parametrize("text", ['say "hi"', "back\\slash", "tab\tand\x01", "naïve €", ""])
def test_postgres_quotes_a_text_as_the_wire_does(network: Network, text: str) -> None:
    with network.store.db.transaction() as cursor:
        cursor.execute("SELECT orderledger_json_string(%s)", (text,))
        row = cursor.fetchone()
    assert row is not None
    assert str(row[0]).encode() == msgspec.json.encode(text)
