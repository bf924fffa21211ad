"""An account's statement: every deposit, charge, refund and adjustment, with its order (or
the operator's note) and the running balance (credit + deposits + adjustments − charges +
refunds, as `balance` answers it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from orderledger.domain.account import Account
from orderledger.domain.ids import account_id
from orderledger.domain.money import ZERO
from orderledger.views.statements import Movement, Statement, StatementLine, fold_statement

__all__ = ["AccountNotFound", "Statement", "StatementLine", "account_statement"]


class AccountNotFound(LookupError):
    pass


def movement(event: Any) -> Movement | None:
    if isinstance(event, Account.Deposited):
        return Movement("deposit", None, event.amount)
    if isinstance(event, Account.DepositedWithNote):
        return Movement("deposit", None, event.amount, event.note)
    if isinstance(event, Account.Charged):
        return Movement("charge", event.order_number, -event.amount)
    if isinstance(event, Account.Refunded):
        return Movement("refund", event.order_number, event.amount)
    if isinstance(event, Account.Adjusted):
        return Movement("adjustment", None, event.amount, event.note)
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
    return fold_statement(
        opened.name, opened.currency, opened.credit + ZERO, events, movement, start, end
    )
