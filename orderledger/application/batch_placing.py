"""Many `add`s of one account decided in sequence and committed in one transaction.

Writers to the event store are serial (a table lock per transaction), so throughput comes
from more events per transaction, not more threads. This is the one place an order is
decided: the group commit (`group_commit.AddBatcher`) brings it each account's share of the
`add`s that arrived together, and `Placing.place_order` a batch of one. The orders of a batch
are decided in sequence against the same in-memory Account and link guards, so the second
order of a batch sees the first one's charge and link: no overspend, no duplicate active link.
A refused order records nothing and does not affect the others; the accepted ones are saved
together, all or none, and a concurrency conflict decides the whole batch again on fresh
state, keeping each order's number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.domain import Aggregate

from orderledger.application.ledger_base import LedgerBase
from orderledger.domain.account import Account
from orderledger.domain.active_link import ActiveLink
from orderledger.domain.errors import (
    ActiveOrderWithLink,
    LedgerError,
    UnknownService,
)
from orderledger.domain.ids import active_link_id
from orderledger.domain.order import Order
from orderledger.domain.service import Service
from orderledger.domain.service_types import OrderRequest


@dataclass(frozen=True)
class PlaceOrder:
    """One `add` as the network sent it."""

    service_number: int
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Checked:
    """An `add` whose fields passed validation against its service."""

    service_number: int
    service_type: str
    request: OrderRequest
    charge: Decimal
    # The order's details as recorded: a subscription keeps the rate its posts are charged at.
    details: dict[str, Any]
    # The account's guard of this service and link (None without a link), named once.
    guard_id: UUID | None


Outcome = Order | LedgerError


@runtime_checkable
class BulkNumberSequence(Protocol):
    def next_numbers(self, name: str, count: int) -> list[int]: ...


def order_numbers(ledger: LedgerBase, count: int) -> list[int]:
    """Numbers for `count` orders, in one round trip where the sequence can."""
    sequences = ledger.sequences
    if isinstance(sequences, BulkNumberSequence):
        return sequences.next_numbers("order", count)
    return [sequences.next_number("order") for _ in range(count)]


def check(account: UUID, command: PlaceOrder, services: Mapping[int, Service | None]) -> Checked:
    service = services[command.service_number]
    if service is None:
        raise UnknownService(str(command.service_number))
    terms = service.order_terms(command.fields)
    link = terms.request.link
    guard_id = active_link_id(account, command.service_number, link) if link else None
    return Checked(
        command.service_number, service.type, terms.request, terms.charge, terms.details, guard_id
    )


class Batch:
    """One attempt at deciding the batch: the aggregates it loaded and changed."""

    def __init__(
        self, ledger: LedgerBase, account: UUID, numbers: Sequence[int], absent: set[UUID]
    ) -> None:
        self.ledger = ledger
        self.account_id = account
        self.numbers = numbers
        # Link guards known not to exist, so none is loaded in vain. A guard created since
        # it was asked makes the save conflict, and the retry asks again.
        self.absent = absent
        self.payer: Account = ledger.account(account)
        self.guards: dict[UUID, ActiveLink | None] = {}
        self.changed: dict[UUID, Aggregate] = {}

    def guard(self, guard_id: UUID) -> ActiveLink | None:
        if guard_id not in self.guards:
            absent = guard_id in self.absent
            self.guards[guard_id] = None if absent else self.ledger.load(ActiveLink, guard_id)
        return self.guards[guard_id]

    def decide(self, index: int, checked: Checked) -> Order:
        request, charge = checked.request, checked.charge
        guard_id = checked.guard_id
        guard = None if guard_id is None else self.guard(guard_id)
        if guard is not None and guard.is_taken:  # refused before the funds are looked at
            raise ActiveOrderWithLink(request.link)
        order = Order(
            number=self.numbers[index],
            account_id=self.account_id,
            currency=self.payer.currency,
            service_number=checked.service_number,
            service_type=checked.service_type,
            link=request.link,
            quantity=request.quantity,
            runs=request.runs,
            interval=request.interval,
            charged_quantity=request.charged_quantity,
            charge=charge,
            details=checked.details,
        )
        self.payer.charge(order_number=order.number, amount=charge)  # NotEnoughFunds: dropped
        self.changed[order.id] = order
        if charge:
            self.changed[self.payer.id] = self.payer
        if guard_id is not None:
            if guard is None:
                guard = ActiveLink(
                    account_id=self.account_id,
                    service_number=checked.service_number,
                    link=request.link,
                    order_number=order.number,
                )
                self.guards[guard_id] = guard
            else:
                guard.record_taken(order.number)
            self.changed[guard_id] = guard
        return order


def absent_guards(
    ledger: LedgerBase, account: UUID, checked: Sequence[Checked | LedgerError]
) -> set[UUID] | None:
    """Which of the link guards these orders need do not exist yet, in one query (None
    where the store cannot tell)."""
    wanted = {
        item.guard_id for item in checked if isinstance(item, Checked) and item.guard_id is not None
    }
    existing = ledger.existing_ids(wanted)
    return None if existing is None else wanted - existing


@dataclass(frozen=True)
class Prepared:
    """A batch checked, numbered and with its link guards looked up: everything that does
    not depend on the Account's current state, so it can be done before taking turns."""

    account: UUID
    checked: list[Checked | LedgerError]
    numbers: list[int]
    absent: set[UUID] | None


def prepare(ledger: LedgerBase, account: UUID, commands: Sequence[PlaceOrder]) -> Prepared:
    checked: list[Checked | LedgerError] = []
    services = ledger.services({command.service_number for command in commands})
    for command in commands:
        try:
            checked.append(check(account, command, services))
        except LedgerError as error:
            checked.append(error)
    # Numbered up front, one per valid command: a refusal leaves a gap (as with place_order),
    # and a retry keeps every order's number.
    valid = sum(1 for item in checked if not isinstance(item, LedgerError))
    numbers = order_numbers(ledger, valid) if valid else []
    return Prepared(account, checked, numbers, absent_guards(ledger, account, checked))


def decide_and_save(ledger: LedgerBase, prepared: Prepared) -> list[Outcome]:
    """Each order decided against the Account as it is now; the accepted ones saved in one
    transaction. A conflict decides them all again on fresh state."""
    unused_lookup = [prepared.absent]  # the first attempt uses the prepared look-up

    def decide() -> list[Outcome]:
        if unused_lookup:
            absent = unused_lookup.pop()
        else:
            absent = absent_guards(ledger, prepared.account, prepared.checked)
        batch = Batch(ledger, prepared.account, prepared.numbers, absent or set())
        outcomes: list[Outcome] = []
        index = 0
        for item in prepared.checked:
            if isinstance(item, LedgerError):
                outcomes.append(item)
                continue
            index += 1
            try:
                outcomes.append(batch.decide(index - 1, item))
            except LedgerError as error:
                outcomes.append(error)
        if batch.changed:
            ledger.save(*batch.changed.values())
            ledger.keep_in_hand(batch.payer)
        return outcomes

    return ledger.retrying(decide)
