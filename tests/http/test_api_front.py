"""`/api/v2` answered by the front (`api_v2.ApiFront`, before Litestar routes the request) is
the same status, headers and bytes as the routed handler's; and a plain `status` whose asked
orders are all in their rows, or certainly no orders of this account, is answered whole by
the key's query: known and unknown ids mixed, repeats, spaces, 100 ids."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store, runtime
from orderledger.cli.common import catch_up
from orderledger.http.app import create_app
from tests.conftest import open_account
from tests.http.conftest import CATALOGUE, Network
from tests.http.test_status_bytes import only_the_key_query_answers

# The answers kept ready are PostgreSQL's (SQLite answers every `status` by the usual path).
postgres_only = pytest.mark.parametrize("backend", ["postgres"])
UNKNOWN = b'{"error":"Incorrect order ID"}'


@dataclass
class Served:
    """One store served twice, the live projector off: through the front (`front`), and
    with the front switched off, so that Litestar routes every request (`routed`)."""

    front: TestClient  # type: ignore[type-arg]
    routed: TestClient  # type: ignore[type-arg]
    network: Network

    def both(self, method: str = "POST", **request: Any) -> tuple[Any, Any]:
        return tuple(
            client.request(method, "/api/v2", **request) for client in (self.front, self.routed)
        )

    def status(self, **fields: str) -> bytes:
        response = self.front.post(
            "/api/v2", data={"key": self.network.key, "action": "status", **fields}
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        return response.content


@pytest.fixture
def served(store: Store) -> Iterator[Served]:
    store.ledger.sync_services(CATALOGUE)
    _, key = open_account(store, "network", deposit="100", currency="EUR")
    parts = runtime(store.settings, projector=False)
    front_app = create_app(store.settings, parts=parts)
    routed_app = create_app(store.settings, parts=runtime(store.settings, projector=False))
    routed_app.front = None
    with TestClient(front_app) as front, TestClient(routed_app) as routed:
        yield Served(front, routed, Network(front, store, key))


def same(front: Any, routed: Any) -> None:
    assert front.status_code == routed.status_code
    assert front.content == routed.content
    assert dict(front.headers) == dict(routed.headers)


def test_the_front_answers_as_the_routed_handler(served: Served) -> None:
    key = served.network.key
    mine = served.network.add(quantity="300", link="https://x/1")
    requests: list[tuple[str, dict[str, Any]]] = [
        ("POST", {"data": {"key": key, "action": "status", "order": str(mine)}}),
        ("POST", {"data": {"key": key, "action": "status", "orders": f"{mine}, 77 ,x"}}),
        ("POST", {"data": {"key": key, "action": "balance"}}),
        ("POST", {"data": {"key": key, "action": "services"}}),
        ("POST", {"data": {"key": "nope", "action": "status", "order": "1"}}),
        ("POST", {"data": {"action": "status"}}),
        ("POST", {"data": {"key": key, "action": "steal"}}),
        ("POST", {"data": {"key": key}}),
        ("POST", {"data": {"key": key, "action": "status"}}),
        ("POST", {"data": {"key": key, "action": "status", "orders": ",".join(["1"] * 101)}}),
        ("POST", {"json": {"key": key, "action": "status", "order": mine}}),
        ("POST", {"content": b'{"key": "' + key.encode() + b'", "action": "balance"}'}),
        ("POST", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
        ("GET", {"params": {"key": key, "action": "status", "order": str(mine)}}),
        ("POST", {"files": {"key": (None, key), "action": (None, "balance")}}),  # multipart
        ("PUT", {"data": {"key": key, "action": "balance"}}),
        ("DELETE", {}),
    ]
    for method, request in requests:
        same(*served.both(method, **request))


def test_a_body_over_the_limit_is_413_from_the_front_too(served: Served) -> None:
    body = b"key=" + served.network.key.encode() + b"&x=" + b"a" * 10_000_001
    front, routed = served.both(
        content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert front.status_code == 413
    same(front, routed)


def test_a_failure_in_the_front_is_the_apps_503(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("orderledger.http.api_v2.perform", broken)
    front, routed = served.both(data={"key": served.network.key, "action": "services"})
    assert front.status_code == 503
    assert front.headers["retry-after"] == "2"
    same(front, routed)


@pytest.mark.parametrize("lenient", [False, True], ids=["401", "errors as 200"])
def test_a_bad_key_on_a_plain_status(store: Store, lenient: bool) -> None:
    settings = replace(store.settings, errors_as_200=lenient)
    with TestClient(create_app(settings)) as client:
        for fields in ({"order": "1"}, {"orders": "1,2"}):
            response = client.post("/api/v2", data={"key": "nope", "action": "status", **fields})
            assert response.status_code == (200 if lenient else 401)
            assert response.content == b'{"error":"Invalid API key"}'


@postgres_only
def test_unknown_and_foreign_ids_among_known_ones_are_answered_by_the_key_query(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    network, store = served.network, served.network.store
    mine = [network.add(quantity="300", link=f"https://x/{i}") for i in range(3)]
    other, _ = open_account(store, "other", deposit="100")
    foreign = store.ledger.place_order(other.id, 1, {"link": "https://y", "quantity": "100"})
    catch_up(store)
    unknown = foreign.number + 1000
    asked = [mine[2], unknown, mine[0], foreign.number, mine[1]]
    usual = served.status(orders=",".join(map(str, asked)))
    for number in (unknown, foreign.number):
        assert f'"{number}":{UNKNOWN.decode()}'.encode() in usual
    single_unknown = served.status(order=str(unknown))
    assert single_unknown == UNKNOWN

    only_the_key_query_answers(monkeypatch)
    assert served.status(orders=",".join(map(str, asked))) == usual
    assert served.status(order=str(unknown)) == UNKNOWN
    assert served.status(order=str(foreign.number)) == UNKNOWN
    # Spaces around the ids and repeats: read as the usual path reads them.
    spaced = " , ".join(map(str, asked + asked[:2]))
    assert served.status(orders=f" {spaced} ") == usual


@postgres_only
def test_an_order_placed_a_moment_ago_is_never_unknown(served: Served) -> None:
    """Its row is not there yet (the projector is off), so no id without a row is taken for
    unknown: the usual path answers, with the new order folded from its events."""
    network = served.network
    known = network.add(quantity="300", link="https://x/old")
    catch_up(network.store)
    new = network.add(quantity="200", link="https://x/new")
    unknown = new + 1000
    answer = served.status(orders=f"{known},{new},{unknown}")
    assert answer.startswith(b'{"%d":{"charge":"0.75000"' % known)
    assert b'"%d":{"charge":"0.50000","start_count":"0","status":"Pending"' % new in answer
    assert answer.endswith(b'"%d":%s}' % (unknown, UNKNOWN))
    assert served.status(order=str(new)).startswith(b'{"charge":"0.50000"')


@postgres_only
def test_a_hundred_ids_are_answered_by_the_key_query_in_the_asked_order(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    network = served.network
    mine = [network.add(quantity="100", link=f"https://x/{i}") for i in range(60)]
    catch_up(network.store)
    asked = list(reversed(mine)) + [mine[-1] + 1000 + i for i in range(40)]  # 100 ids
    usual = served.status(orders=",".join(map(str, asked)))
    only_the_key_query_answers(monkeypatch)
    ready = served.status(orders=",".join(map(str, asked)))
    assert ready == usual
    keys = [key.split(b'"')[1] for key in ready[1:-1].split(b"},")]
    assert keys == [str(n).encode() for n in asked]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_answers_the_same_mixed_status_by_the_usual_path(served: Served) -> None:
    network = served.network
    mine = network.add(quantity="300", link="https://x/1")
    catch_up(network.store)
    answer = served.status(orders=f"{mine}, {mine}, 0{mine},{mine + 1000}")
    assert answer == (
        b'{"%d":{"charge":"0.75000","start_count":"0","status":"Pending",'
        b'"remains":"300","currency":"EUR"},"0%d":{"charge":"0.75000","start_count":"0",'
        b'"status":"Pending","remains":"300","currency":"EUR"},"%d":%s}'
        % (mine, mine, mine + 1000, UNKNOWN)
    )
