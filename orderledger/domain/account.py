"""An account of the network: its currency, billing and every movement of money."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from orderledger.domain.errors import NotEnoughFunds
from orderledger.domain.ids import account_id
from orderledger.domain.money import ZERO


class Billing(str, Enum):
    PREPAID = "prepaid"  # refuses orders it cannot pay
    POSTPAID = "postpaid"  # shows a fixed figure, invoiced later for what it owes


class Account(Aggregate):
    @staticmethod
    def create_id(name: str) -> UUID:
        return account_id(name)

    class Opened(Aggregate.Created):
        name: str
        currency: str
        billing: str
        credit: Decimal

    @event(Opened)
    def __init__(self, name: str, currency: str, billing: str, credit: Decimal) -> None:
        self.name = name
        self.currency = currency
        self.billing = Billing(billing)
        self.credit = credit
        self.deposits = ZERO
        self.charges = ZERO
        self.refunds = ZERO

    @property
    def balance(self) -> Decimal:
        """What the account may still spend: credit + deposits - charges + refunds."""
        return self.credit + self.deposits - self.charges + self.refunds

    @property
    def owed(self) -> Decimal:
        """What a postpaid account will be invoiced: net charges not yet paid by deposits."""
        return self.charges - self.refunds - self.deposits

    def can_pay(self, amount: Decimal) -> bool:
        return self.billing is Billing.POSTPAID or amount <= self.balance

    class Deposited(Aggregate.Event):
        amount: Decimal

    @event(Deposited)
    def record_deposit(self, amount: Decimal) -> None:
        self.deposits += amount

    def charge(self, order_number: int, amount: Decimal) -> None:
        """Charge the account for an order; a prepaid account refuses what it cannot pay."""
        if not self.can_pay(amount):
            raise NotEnoughFunds(str(amount))
        if amount:
            self.record_charge(order_number=order_number, amount=amount)

    class Charged(Aggregate.Event):
        order_number: int
        amount: Decimal

    @event(Charged)
    def record_charge(self, order_number: int, amount: Decimal) -> None:
        self.charges += amount

    class Refunded(Aggregate.Event):
        order_number: int
        amount: Decimal

    @event(Refunded)
    def record_refund(self, order_number: int, amount: Decimal) -> None:
        self.refunds += amount
