"""An account's statement: every deposit, charge, refund and adjustment, with its order (or
the operator's note) and the running balance (credit + deposits + adjustments − charges +
refunds, as `balance` answers it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO
from uuid import UUID

from eventsourcing.application import Application

from orderledger.domain.account import Account
from orderledger.domain.ids import account_id
from orderledger.domain.money import ZERO, wire


class AccountNotFound(LookupError):
    pass


@dataclass(frozen=True)
class StatementLine:
    time: datetime
    version: int
    entry: str  # deposit, charge, refund or adjustment
    order: int | None
    amount: Decimal  # signed: what it did to the balance
    balance: Decimal  # the balance after it
    note: str = ""  # the operator's note of a deposit or an adjustment
    by: str = ""  # who recorded a deposit or an adjustment (not in the CSV: its columns stay)

    def plain(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat(),
            "version": self.version,
            "entry": self.entry,
            "order": self.order,
            "amount": wire(self.amount),
            "balance": wire(self.balance),
            "note": self.note,
        }


@dataclass(frozen=True)
class Statement:
    account: str
    currency: str
    opening: Decimal  # the balance before the first line (before --from)
    lines: list[StatementLine]

    @property
    def closing(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening


def movement(event: Any) -> tuple[str, int | None, Decimal, str] | None:
    """What the event did to the balance: its entry, order, signed amount and note."""
    if isinstance(event, Account.Deposited):
        return "deposit", None, event.amount, ""
    if isinstance(event, Account.DepositedWithNote):
        return "deposit", None, event.amount, event.note
    if isinstance(event, Account.Charged):
        return "charge", event.order_number, -event.amount, ""
    if isinstance(event, Account.Refunded):
        return "refund", event.order_number, event.amount, ""
    if isinstance(event, Account.Adjusted):
        return "adjustment", None, event.amount, event.note
    return None


def account_events(ledger: Application[UUID], name: str) -> Iterator[Any]:
    # The event store itself, never a snapshot: a statement needs every movement.
    events = iter(ledger.events.get(account_id(name)))
    opened = next(events, None)
    if not isinstance(opened, Account.Opened):
        raise AccountNotFound(f"no account {name}")
    yield opened
    yield from events


def account_statement(
    ledger: Application[UUID], name: str, start: datetime | None = None, end: datetime | None = None
) -> Statement:
    events = account_events(ledger, name)
    opened = next(events)
    balance: Decimal = opened.credit + ZERO
    opening = balance
    lines: list[StatementLine] = []
    for event in events:
        if end is not None and event.timestamp > end:
            break
        moved = movement(event)
        if moved is None:
            continue
        entry, order, amount, note = moved
        balance += amount
        if start is not None and event.timestamp < start:
            opening = balance
            continue
        lines.append(
            StatementLine(
                event.timestamp,
                event.originator_version,
                entry,
                order,
                amount,
                balance,
                note,
                str(getattr(event, "by", "")),
            )
        )
    return Statement(opened.name, opened.currency, opening, lines)


COLUMNS = ("time", "version", "entry", "order", "amount", "balance", "note")


def statement_rows(
    statement: Statement, start: datetime | None = None, end: datetime | None = None
) -> list[dict[str, object]]:
    """The statement as its CSV and JSON lines give it: the opening balance (at `start`),
    every line, the closing balance (at `end`)."""

    def edge(entry: str, when: datetime | None, balance: Decimal) -> dict[str, object]:
        return {
            "time": when.isoformat() if when else None,
            "version": None,
            "entry": entry,
            "order": None,
            "amount": None,
            "balance": wire(balance),
            "note": "",
        }

    return [
        edge("opening balance", start, statement.opening),
        *(line.plain() for line in statement.lines),
        edge("closing balance", end, statement.closing),
    ]


def write_csv(rows: list[dict[str, object]], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)


def statement_csv(
    statement: Statement, start: datetime | None = None, end: datetime | None = None
) -> str:
    """The statement as `orderledger accounts statement` prints it in CSV."""
    out = io.StringIO()
    write_csv(statement_rows(statement, start, end), out)
    return out.getvalue()
