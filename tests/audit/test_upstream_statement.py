"""An upstream's statement: what it charged for the orders forwarded to it and what it gave
back, with the running total; `projections verify` checks that the total adds up."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from orderledger.bootstrap import Store
from orderledger.domain.errors import UnknownAccount
from orderledger.domain.order import Order
from orderledger.views.upstream_statement import upstream_statement
from tests.audit.conftest import Cli
from tests.conftest import entry, open_account

URL = "https://provider.example/api/v2"


def placed(store: Store, count: int, link: str = "https://x/") -> list[int]:
    store.ledger.sync_services([entry(1)])
    try:
        account = store.ledger.account("network")
    except UnknownAccount:
        account, _ = open_account(store, "network", deposit="100")
    return [
        store.ledger.place_order(account.id, 1, {"link": f"{link}{i}", "quantity": "100"}).number
        for i in range(count)
    ]


def loaded(store: Store, number: int) -> Order:
    order = store.ledger.order(number)
    assert order is not None
    return order


def forwarded(store: Store, number: int, upstream: str, upstream_order: str) -> None:
    """As the forwarder records it: the attempt, then the upstream's order id."""
    order = loaded(store, number)
    order.record_forward_attempt(upstream=upstream, upstream_service=501, attempt=1)
    order.record_forwarded(upstream_order=upstream_order)
    store.ledger.save(order)


def cost(store: Store, number: int, amount: str, currency: str = "USD") -> None:
    order = loaded(store, number)
    order.record_upstream_cost(cost=Decimal(amount), currency=currency)
    store.ledger.save(order)


def bought(store: Store) -> list[int]:
    """Two orders bought from `bulk` (0.80 and 1.25), the first later stopped there as Partial
    (0.30 back), the second reported again unchanged; one bought from `other`."""
    first, second, third = placed(store, 3)
    for name in ("bulk", "other"):
        store.ledger.add_upstream(name, URL)
    forwarded(store, first, "bulk", "9001")
    forwarded(store, second, "bulk", "9002")
    forwarded(store, third, "other", "77")
    cost(store, first, "0.80")
    cost(store, second, "1.25")
    cost(store, third, "5.00")
    cost(store, first, "0.50")
    cost(store, second, "1.25")
    return [first, second, third]


def test_the_statement_lists_each_charge_and_refund_with_the_running_total(
    store: Store, cli: Cli
) -> None:
    first, second, _ = bought(store)
    status, out, err = cli("upstreams", "statement", "bulk")
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["entry"], r["order"], r["amount"], r["total"], r["note"]) for r in rows] == [
        ("opening total", "", "", "0.00000", ""),
        ("charge", str(first), "0.80000", "0.80000", "upstream order 9001"),
        ("charge", str(second), "1.25000", "2.05000", "upstream order 9002"),
        ("refund", str(first), "-0.30000", "1.75000", "upstream order 9001"),
        ("closing total", "", "", "1.75000", ""),
    ]
    assert {r["currency"] for r in rows} == {"USD"}


def test_the_statement_as_json_lines_is_the_same(store: Store, cli: Cli) -> None:
    bought(store)
    status, out, _ = cli("upstreams", "statement", "other", "--format", "jsonl")
    assert status == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["entry"], line["amount"], line["total"]) for line in lines] == [
        ("opening total", None, "0.00000"),
        ("charge", "5.00000", "5.00000"),
        ("closing total", None, "5.00000"),
    ]


def test_the_statement_of_an_unknown_upstream_is_refused(store: Store, cli: Cli) -> None:
    bought(store)
    status, out, err = cli("upstreams", "statement", "nobody")
    assert status == 1 and out == ""
    assert err.startswith("error: no upstream 'nobody' in ")


def test_verify_finds_the_statements_adding_up(store: Store, cli: Cli) -> None:
    bought(store)
    status, out, _ = cli("projections", "verify")
    assert status == 0, out


def test_verify_names_a_cost_reported_for_an_order_never_forwarded(store: Store, cli: Cli) -> None:
    bought(store)
    (stray,) = placed(store, 1, "https://stray/")
    cost(store, stray, "2.00")
    status, out, _ = cli("projections", "verify")
    assert status == 1
    assert (
        f"order {stray}: an upstream's cost is reported, but the order was never forwarded"
        in out.splitlines()
    )


def test_verify_names_an_upstream_whose_costs_come_in_two_currencies(
    store: Store, cli: Cli
) -> None:
    first, _, _ = bought(store)
    cost(store, first, "0.40", currency="EUR")
    status, out, _ = cli("projections", "verify")
    assert status == 1
    assert "upstream 'bulk': costs reported in more than one currency (EUR, USD)" in out


def test_an_order_sent_again_elsewhere_is_charged_to_the_upstream_that_reports_it(
    store: Store,
) -> None:
    (number,) = placed(store, 1)
    for name in ("bulk", "other"):
        store.ledger.add_upstream(name, URL)
    forwarded(store, number, "bulk", "1")
    cost(store, number, "1.00")
    order = loaded(store, number)
    order.record_forward_attempt(upstream="other", upstream_service=7, attempt=2)
    store.ledger.save(order)
    cost(store, number, "2.00")
    assert upstream_statement(store.ledger, "bulk").closing == Decimal("1.00")
    assert upstream_statement(store.ledger, "other").closing == Decimal("2.00")
