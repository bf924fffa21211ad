"""`orderledger accounts statement`: every movement of an account's money, with its balance.

`add_statement_options` and `print_statement_lines` serve every statement (an upstream's too):
the same options, the same opening and closing lines, CSV or JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from orderledger.cli.audit import moment
from orderledger.cli.common import opened_store
from orderledger.views.account_statement import account_statement
from orderledger.views.statements import Statement, write_csv
from orderledger.views.statements import statement_rows as lines_of

COLUMNS = ("time", "version", "entry", "order", "amount", "balance", "note")


def register_statement(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    statement = actions.add_parser(
        "statement",
        help="every deposit, charge, refund and adjustment with its order or note and the "
        "running balance",
        description="Read from the account's events. The first line is the opening balance "
        "(the balance before --from), the last the closing one; amounts are signed.",
    )
    statement.add_argument("name")
    add_statement_options(statement)
    statement.set_defaults(run=print_statement)


def add_statement_options(statement: argparse.ArgumentParser) -> None:
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


def print_statement(args: argparse.Namespace) -> int:
    with opened_store() as store:
        statement = account_statement(store.ledger, args.name, args.start, args.end)
    print_statement_lines(statement_rows(statement, args), COLUMNS, args.format)
    return 0


def print_statement_lines(
    rows: list[dict[str, object]], columns: Sequence[str], output: str
) -> None:
    if output == "jsonl":
        for row in rows:
            print(json.dumps(row))
    else:
        write_csv(rows, columns, sys.stdout)


def statement_rows(
    statement: Statement, args: argparse.Namespace, running: str = "balance"
) -> list[dict[str, object]]:
    """The opening line, each line, the closing line; `running` names the running figure."""
    return lines_of(statement, args.start, args.end, running)
