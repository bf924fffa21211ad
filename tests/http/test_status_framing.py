"""A `status` answered whole by the key's query (the answers kept ready, joined) is the same
JSON, byte for byte, as the usual path's (each answer built from its row and encoded),
for single and multi requests: ids written plainly or not, unknown ids, other accounts'
orders, orders whose rows are behind."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from orderledger.bootstrap import Store, runtime
from orderledger.cli.common import catch_up
from orderledger.http.api_v2 import parsed_action, plain_status
from orderledger.http.app import create_app
from orderledger.http.parsing import PLAIN_NUMBERS, as_number
from orderledger.views.key_lookups import key_holder
from orderledger.views.reads import ReadModels
from tests.conftest import open_account
from tests.http.conftest import CATALOGUE, Network


@dataclass
class Orders:
    network: Network
    projected: list[int]  # mine, in their rows
    behind: list[int]  # mine, with an event past their rows
    foreign: list[int]  # another account's
    unknown: list[int]
    reads: ReadModels  # the app's own

    def ready(self, fields: dict[str, Any]) -> bytes | None:
        """The whole answer the key's query brings; None: the usual path answers."""
        client = self.network.client
        asked = plain_status(parsed_action({"key": self.network.key, "action": "status", **fields}))
        holder = client.blocking_portal.call(key_holder, self.reads, self.network.key, asked)
        assert holder is not None
        return holder.ready

    def answer(self, fields: dict[str, Any]) -> bytes:
        response = self.network.client.post(
            "/api/v2", data={"key": self.network.key, "action": "status", **fields}
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        return response.content

    def usual_answer(self, fields: dict[str, Any]) -> bytes:
        """The answer with every key looked up on its own: no answer kept ready is read."""
        with patch.object(ReadModels, "batches_key_lookups", return_value=False):
            return self.answer(fields)


@pytest.fixture
def orders(store: Store) -> Iterator[Orders]:
    """Orders of mine in every state, another account's, and some behind their rows (the
    app's live projector is off: they stay behind)."""
    store.ledger.sync_services(CATALOGUE)
    _, key = open_account(store, "network", deposit="100", currency="EUR")
    served = runtime(store.settings, projector=False)
    with TestClient(create_app(store.settings, parts=served)) as client:
        yield from orders_of(Network(client, store, key), served.reads)


def orders_of(network: Network, reads: ReadModels) -> Iterator[Orders]:
    store, ledger = network.store, network.store.ledger
    mine = [network.add(quantity="300", link=f"https://x/{i}") for i in range(6)]
    mine.append(network.add(service=3, link="https://x/package"))
    ledger.start_order(mine[1], 7)
    ledger.start_order(mine[2], 0)
    ledger.report_delivery(mine[2], 120)
    ledger.start_order(mine[3], 1_000_000)
    ledger.complete_order(mine[3])
    ledger.start_order(mine[4], 3)
    ledger.stop_partial(mine[4], 100)
    ledger.cancel_order(mine[5])
    other, _ = open_account(store, "other", deposit="100", currency="EUR")
    foreign = [ledger.place_order(other.id, 1, {"link": "https://y", "quantity": "100"}).number]
    catch_up(store)
    behind = [network.add(quantity="200", link="https://x/late")]
    ledger.start_order(mine[0], 9)
    behind.append(mine.pop(0))
    yield Orders(network, mine, behind, foreign, [max(mine + behind + foreign) + 1000], reads)


def written(orders: Orders) -> st.SearchStrategy[str]:
    """An id as a client might write it: plainly, with spaces or leading zeros, or not a
    number at all."""
    numbers = st.sampled_from(orders.projected + orders.behind + orders.foreign + orders.unknown)
    return st.one_of(
        numbers.map(str),
        numbers.map(str),
        numbers.map(lambda n: f" {n} "),
        numbers.map(lambda n: f"0{n}"),
        numbers.map(lambda n: f"{n}.0"),
        numbers.map(lambda n: f"+{n}"),
        st.sampled_from(["x", "0", "-1", "99999999999999999999", ""]),
    )


def answered_ready(orders: Orders, ids: list[str]) -> bool:
    """Whether the key's query answers these ids whole: every one (spaces around it aside,
    repeats once) written plainly, and an order of mine in its row."""
    distinct = [token for token in dict.fromkeys(token.strip() for token in ids) if token]
    return bool(distinct) and all(
        PLAIN_NUMBERS.fullmatch(token) and int(token) in orders.projected for token in distinct
    )


LOOSE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("backend", ["postgres"])  # the answers kept ready are PostgreSQL's
def test_a_single_status_is_the_same_bytes_on_both_paths(orders: Orders) -> None:
    @LOOSE
    @given(token=written(orders))
    def check(token: str) -> None:
        fields = {"order": token}
        usual = orders.usual_answer(fields)
        assert orders.answer(fields) == usual
        ready = orders.ready(fields)
        number = as_number(token.strip())
        assert (ready is not None) == (number in orders.projected)
        if ready is not None:
            assert ready == usual

    check()


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_multi_status_is_the_same_bytes_on_both_paths(orders: Orders) -> None:
    @LOOSE
    @given(
        ids=st.one_of(
            st.lists(st.sampled_from(orders.projected), min_size=1, max_size=8).map(
                lambda numbers: [str(n) for n in numbers]
            ),
            st.lists(written(orders), min_size=1, max_size=8),
        )
    )
    def check(ids: list[str]) -> None:
        fields = {"orders": ",".join(ids)}
        usual = orders.usual_answer(fields)
        assert orders.answer(fields) == usual
        ready = orders.ready(fields)
        assert (ready is not None) == answered_ready(orders, ids)
        if ready is not None:
            assert ready == usual

    check()
