"""The ledger application's foundation: loading aggregates and saving with retries.

Each command loads the aggregates it decides on, decides, and saves every aggregate it changed
in one call to `save()`, which is one transaction: all of a command's events or none. Two
commands that change the same aggregate at once conflict (optimistic concurrency); the loser
reloads and decides again, so a balance can never be spent twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from orderledger.domain.account import Account
from orderledger.domain.errors import InvalidTransition, UnknownAccount, UnknownOrder
from orderledger.domain.ids import account_id, order_id, service_id
from orderledger.domain.order import Order
from orderledger.domain.sequences import NumberSequence
from orderledger.domain.service import Service

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

CONFLICT_RETRIES = 200


class LedgerBase(Application[UUID]):
    # Accounts collect an event per charge; snapshots keep a cold load short.
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Account: 200}

    def __init__(self, sequences: NumberSequence, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.sequences = sequences
        # Which of many aggregates exist, in one query, where the store can tell (set by the
        # storage layer); None means "load each to find out".
        self.existing_ids: Callable[[Collection[UUID]], set[UUID] | None] = lambda ids: None

    # ---- loading -------------------------------------------------------------------------

    def load(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, cls):
            return None
        return aggregate

    def account(self, name_or_id: str | UUID) -> Account:
        key = name_or_id if isinstance(name_or_id, UUID) else account_id(name_or_id)
        account = self.load(Account, key)
        if account is None:
            raise UnknownAccount(f"no account {name_or_id!r}")
        return account

    def service(self, number: int) -> Service | None:
        return self.load(Service, service_id(number))

    def order(self, number: int) -> Order | None:
        return self.load(Order, order_id(number))

    def order_of(self, account: UUID, number: int) -> Order:
        """The order, if it exists and belongs to the account; another key's is unknown."""
        order = self.order(number)
        if order is None or order.account_id != account:
            raise UnknownOrder(str(number))
        return order

    def unfinished_order(self, number: int) -> Order:
        order = self.order(number)
        if order is None:
            raise UnknownOrder(str(number))
        if order.status.is_finished:
            raise InvalidTransition(f"order {number} is already {order.status.value}")
        return order

    def retrying(self, decide: Callable[[], T]) -> T:
        """Run a decide-and-save step again on a concurrency conflict, with fresh state."""
        for _ in range(CONFLICT_RETRIES):
            try:
                return decide()
            except IntegrityError:
                continue
        raise RuntimeError("too many concurrent changes to the same aggregates")
