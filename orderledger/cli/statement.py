"""`orderledger accounts statement`: every movement of an account's money, with its balance."""

from __future__ import annotations

import argparse
import json
import sys

from orderledger.cli.audit import moment
from orderledger.cli.common import opened_store
from orderledger.views.account_statement import account_statement, statement_rows, write_csv


def register_statement(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    statement = actions.add_parser(
        "statement",
        help="every deposit, charge, refund and adjustment with its order or note and the "
        "running balance",
        description="Read from the account's events. The first line is the opening balance "
        "(the balance before --from), the last the closing one; amounts are signed.",
    )
    statement.add_argument("name")
    statement.add_argument(
        "--from",
        dest="start",
        type=moment,
        metavar="T",
        help="ISO 8601 moment to start at (no zone: UTC)",
    )
    statement.add_argument(
        "--to", dest="end", type=moment, metavar="T", help="ISO 8601 moment to end at, inclusive"
    )
    statement.add_argument(
        "--format", choices=("csv", "jsonl"), default="csv", help="csv (default) or JSON lines"
    )
    statement.set_defaults(run=print_statement)


def print_statement(args: argparse.Namespace) -> int:
    with opened_store() as store:
        statement = account_statement(store.ledger, args.name, args.start, args.end)
    rows = statement_rows(statement, args.start, args.end)
    if args.format == "jsonl":
        for row in rows:
            print(json.dumps(row))
    else:
        write_csv(rows, sys.stdout)
    return 0
