from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from orderledger.bootstrap import Store
from tests.audit.conftest import Cli, audited_order


def statement_rows(cli: Cli, *argv: str) -> list[dict[str, str]]:
    status, out, err = cli("accounts", "statement", *argv)
    assert status == 0, err
    return list(csv.DictReader(io.StringIO(out)))


def test_statement_lists_every_deposit_charge_and_refund_with_the_running_balance(
    store: Store, cli: Cli
) -> None:
    order = audited_order(store)
    rows = statement_rows(cli, "network")
    assert [(r["entry"], r["order"], r["amount"], r["balance"]) for r in rows] == [
        ("opening balance", "", "", "0.00000"),
        ("deposit", "", "10.00000", "10.00000"),
        ("charge", str(order.number), "-2.50000", "7.50000"),
        ("refund", str(order.number), "1.50000", "9.00000"),
        ("closing balance", "", "", "9.00000"),
    ]
    assert "balance   9.00000" in cli("accounts", "show", "network")[1]


def test_statement_from_a_moment_opens_with_the_balance_before_it(store: Store, cli: Cli) -> None:
    audited_order(store)
    store.ledger.deposit("network", Decimal("5"))
    everything = statement_rows(cli, "network")
    charge_time = everything[2]["time"]
    refund_time = everything[3]["time"]
    rows = statement_rows(cli, "network", "--from", charge_time, "--to", refund_time)
    assert [(r["entry"], r["balance"]) for r in rows] == [
        ("opening balance", "10.00000"),
        ("charge", "7.50000"),
        ("refund", "9.00000"),
        ("closing balance", "9.00000"),
    ]


def test_statement_as_json_lines(store: Store, cli: Cli) -> None:
    order = audited_order(store)
    status, out, _ = cli("accounts", "statement", "network", "--format", "jsonl")
    assert status == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[2]["entry"] == "charge"
    assert lines[2]["order"] == order.number
    assert lines[2]["amount"] == "-2.50000"
    assert lines[-1] == {
        "time": None,
        "version": None,
        "entry": "closing balance",
        "order": None,
        "amount": None,
        "balance": "9.00000",
        "note": "",
    }


def test_a_postpaid_statement_starts_from_the_shown_balance(store: Store, cli: Cli) -> None:
    assert cli("accounts", "create", "panel", "--postpaid", "--balance", "500")[0] == 0
    rows = statement_rows(cli, "panel")
    assert [(r["entry"], r["balance"]) for r in rows] == [
        ("opening balance", "500.00000"),
        ("closing balance", "500.00000"),
    ]


def test_statement_of_an_unknown_account_fails_readably(store: Store, cli: Cli) -> None:
    status, _, err = cli("accounts", "statement", "nobody")
    assert status == 1
    assert "no account nobody" in err
