"""An account's statement: every deposit, charge, refund and adjustment, with its order (or
the operator's note) and the running balance (credit + deposits + adjustments − charges +
refunds, as `balance` answers it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
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
                event.timestamp, event.originator_version, entry, order, amount, balance, note
            )
        )
    return Statement(opened.name, opened.currency, opening, lines)
