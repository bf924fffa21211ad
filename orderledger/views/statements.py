"""A statement: the movements of money a fold of events finds, each with the running figure
after it, between an opening figure (before `start`) and a closing one. An account's statement
(`account_statement`) and an upstream's (`upstream_statement`) are both this fold; they differ
only in which events move money and how."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO

from orderledger.domain.money import wire


@dataclass(frozen=True)
class Movement:
    """What one event did to the figure: its kind, its order, the signed amount, a note."""

    entry: str
    order: int | None
    amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class StatementLine:
    time: datetime
    version: int
    entry: str  # deposit, charge, refund or adjustment
    order: int | None
    amount: Decimal  # signed: what it did to the running figure
    balance: Decimal  # the running figure after it
    note: str = ""  # the operator's note of a deposit or an adjustment; the upstream's order

    def plain(self, running: str = "balance") -> dict[str, Any]:
        return {
            "time": self.time.isoformat(),
            "version": self.version,
            "entry": self.entry,
            "order": self.order,
            "amount": wire(self.amount),
            running: wire(self.balance),
            "note": self.note,
        }


@dataclass(frozen=True)
class Statement:
    owner: str  # the account, or the upstream
    currency: str
    opening: Decimal  # the running figure before the first line (before --from)
    lines: list[StatementLine]

    @property
    def closing(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening


def fold_statement(
    owner: str,
    currency: str,
    opening: Decimal,
    events: Iterable[Any],
    movement: Callable[[Any], Movement | None],
    start: datetime | None = None,
    end: datetime | None = None,
) -> Statement:
    """Every event is shown to `movement` in order (a fold may keep state across them);
    those before `start` only move the opening figure, those after `end` are not read."""
    running = opening
    lines: list[StatementLine] = []
    for event in events:
        if end is not None and event.timestamp > end:
            break
        moved = movement(event)
        if moved is None:
            continue
        running += moved.amount
        if start is not None and event.timestamp < start:
            opening = running
            continue
        lines.append(
            StatementLine(
                event.timestamp,
                event.originator_version,
                moved.entry,
                moved.order,
                moved.amount,
                running,
                moved.note,
            )
        )
    return Statement(owner, currency, opening, lines)


def statement_rows(
    statement: Statement,
    start: datetime | None = None,
    end: datetime | None = None,
    running: str = "balance",
) -> list[dict[str, Any]]:
    """The opening line, each line, the closing line, as a statement is printed (CSV or JSON
    lines) or shown; `running` names the running figure."""

    def edge(entry: str, when: datetime | None, figure: Decimal) -> dict[str, Any]:
        return {
            "time": when.isoformat() if when else None,
            "version": None,
            "entry": entry,
            "order": None,
            "amount": None,
            running: wire(figure),
            "note": "",
        }

    return [
        edge(f"opening {running}", start, statement.opening),
        *(line.plain(running) for line in statement.lines),
        edge(f"closing {running}", end, statement.closing),
    ]


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO) -> None:
    """A statement's rows as CSV: a header of `columns`, a missing value empty."""
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
