"""An account of the network: its currency, billing and every movement of money."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from orderledger.domain.errors import AmountOutOfRange, InvalidAdjustment, NotEnoughFunds
from orderledger.domain.ids import account_id
from orderledger.domain.money import MAX_TOTAL, ZERO, InvalidAmount, checked_amount, exact_sum


class Billing(str, Enum):
    PREPAID = "prepaid"  # refuses orders it cannot pay
    POSTPAID = "postpaid"  # shows a fixed figure, invoiced later for what it owes


class Account(Aggregate):
    # Signed corrections (`adjust`). A class default, not set when an account opens: the
    # snapshot of an account never adjusted stays what older versions wrote.
    adjustments: Decimal = ZERO

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

    @classmethod
    def open(cls, name: str, currency: str, billing: Billing, credit: Decimal) -> Account:
        """Open an account; a postpaid figure past the ledger's bound, or below its
        precision, is refused."""
        return cls(name=name, currency=currency, billing=billing.value, credit=given_amount(credit))

    @property
    def balance(self) -> Decimal:
        """What the account may still spend: credit + deposits + adjustments - charges +
        refunds."""
        return self.credit + self.deposits + self.adjustments - self.charges + self.refunds

    @property
    def owed(self) -> Decimal:
        """What a postpaid account will be invoiced: net charges not yet paid by deposits
        (an adjustment counts as one, of either sign)."""
        return self.charges - self.refunds - self.deposits - self.adjustments

    def can_pay(self, amount: Decimal) -> bool:
        return self.billing is Billing.POSTPAID or amount <= self.balance

    # `by` names the operator who recorded a deposit or an adjustment ("staff" from the
    # command line, the signed-in name from the console). Events stored before it was
    # recorded have none and load with its default "".

    class Deposited(Aggregate.Event):
        amount: Decimal
        by: str = ""

    class DepositedWithNote(Aggregate.Event):
        """A deposit the operator wrote a note for (a payment's reference, say)."""

        amount: Decimal
        note: str
        by: str = ""

    def deposit(self, amount: Decimal, note: str = "", by: str = "") -> None:
        """Take a deposit: one amount within the ledger's bound, to five places at most, that
        keeps the account's deposits below MAX_TOTAL. A note, when given, is kept with it."""
        amount = given_amount(amount)
        if abs(exact_sum(self.deposits, amount)) >= MAX_TOTAL:
            raise AmountOutOfRange(
                f"account {self.name!r}: its deposits would reach {MAX_TOTAL:f}, past what "
                "the ledger holds for one account"
            )
        if note:
            self.record_noted_deposit(amount=amount, note=note, by=by)
        else:
            self.record_deposit(amount=amount, by=by)

    @event(Deposited)
    def record_deposit(self, amount: Decimal, by: str = "") -> None:
        self.deposits += amount

    @event(DepositedWithNote)
    def record_noted_deposit(self, amount: Decimal, note: str, by: str = "") -> None:
        self.deposits += amount

    class Adjusted(Aggregate.Event):
        """A signed correction by an operator (an over-credit taken back, a goodwill credit),
        with the reason for it."""

        amount: Decimal
        note: str
        by: str = ""

    def adjust(self, amount: Decimal, note: str, by: str = "") -> None:
        """Correct the balance by a signed amount, with a note saying why.

        A negative adjustment may take a prepaid balance below zero: an operator taking back
        an over-credit that was already spent must be able to record it as it is. The balance
        then answers the negative figure, and every order is refused (`can_pay`) until the
        account is funded again; nothing is hidden or rounded to zero."""
        amount = given_amount(amount)
        if not amount:
            raise InvalidAdjustment("an adjustment of zero changes nothing")
        if not note.strip():
            raise InvalidAdjustment("an adjustment needs a note saying why")
        if abs(exact_sum(self.adjustments, amount)) >= MAX_TOTAL:
            raise AmountOutOfRange(
                f"account {self.name!r}: its adjustments would reach {MAX_TOTAL:f}, past what "
                "the ledger holds for one account"
            )
        self.record_adjustment(amount=amount, note=note.strip(), by=by)

    @event(Adjusted)
    def record_adjustment(self, amount: Decimal, note: str, by: str = "") -> None:
        self.adjustments += amount

    class ApiKeyIssued(Aggregate.Event):
        """A new API key was issued for the account by `by`, replacing the `revoked` keys it
        had: the log's account of it. Never the key itself, which is only ever stored as a
        hash outside the log (`storage/credentials.py`)."""

        revoked: int
        by: str

    @event(ApiKeyIssued)
    def record_key_issued(self, revoked: int, by: str) -> None:
        pass  # no money moves: the event is the record

    def charge(self, order_number: int, amount: Decimal) -> None:
        """Charge the account for an order; a prepaid account refuses what it cannot pay, and
        no account is charged past MAX_TOTAL in all."""
        if not self.can_pay(amount) or amount >= MAX_TOTAL - self.charges:
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


def given_amount(amount: Decimal) -> Decimal:
    """An amount as the ledger records it, or AmountOutOfRange saying why it cannot be."""
    try:
        return checked_amount(amount)
    except InvalidAmount as error:
        raise AmountOutOfRange(str(error)) from error
