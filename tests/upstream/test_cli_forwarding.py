"""Operators see and resolve the orders in doubt from the command line, on both databases:
`orders list --in-doubt`, `orders show`, `orders attach`, `orders forward --again`,
`orders history` with the margin."""

from __future__ import annotations

import json

import pytest

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.storage.settings import Settings
from tests.conftest import settle, use_settings
from tests.upstream.in_doubt import three_forwarded


@pytest.fixture
def doubtful(store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Three orders forwarded to `bulk`: one forwarded, two in doubt."""
    use_settings(monkeypatch, settings)
    return three_forwarded(store, "k3y", "https://upstream.example/api/v2")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_the_orders_in_doubt_are_listed_with_their_upstream_and_reason(
    doubtful: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "orders", "list", "--in-doubt", "--json")
    assert status == 0, out
    listed = json.loads(out)["orders"]
    assert [o["order"] for o in listed] == [doubtful[2], doubtful[1]]  # newest first
    assert listed[1]["forward"]["doubt"] == "sent, no answer: ReadTimeout"
    assert listed[1]["forward"]["upstream"] == "bulk"
    status, out = run(capsys, "orders", "list", "--in-doubt")
    assert "sent, no answer: ReadTimeout" in out and "bulk (attempt 1)" in out


def test_an_operator_attaches_one_and_forwards_the_other_again(
    store: Store, doubtful: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "orders", "attach", str(doubtful[1]), "--upstream-order", "9002")
    assert status == 0, out
    assert "upstream bulk: forwarded as 9002" in out
    status, out = run(capsys, "orders", "forward", str(doubtful[2]))
    assert status == 1 and "--again" in out
    status, out = run(capsys, "orders", "forward", str(doubtful[2]), "--again")
    assert status == 0, out
    order = store.ledger.known_order(doubtful[2])
    assert order.forward_state is None and order.status.value == "Pending"
    status, out = run(capsys, "orders", "attach", str(doubtful[0]), "--upstream-order", "1")
    assert status == 1 and f"order {doubtful[0]} is not in doubt" in out
    settle(store)
    status, out = run(capsys, "orders", "list", "--in-doubt", "--json")
    assert json.loads(out)["orders"] == []


def test_show_and_history_give_the_forwarding_and_the_margin(
    doubtful: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "orders", "show", str(doubtful[0]))
    assert status == 0, out
    assert "9001" in out and "2.50000 USD" in out
    status, out = run(capsys, "orders", "history", str(doubtful[0]))
    assert status == 0, out
    assert "price 3.00000 USD, upstream cost 2.50000 USD, margin 0.50000 USD" in out
    status, out = run(capsys, "orders", "show", str(doubtful[0]), "--json")
    document = json.loads(out)
    assert document["money"]["margin"] == "0.50000"
    assert document["order"]["forward"]["upstream_order"] == "9001"
    assert all("state" in entry for entry in document["history"])
