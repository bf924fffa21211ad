"""Why a command was refused. The HTTP layer maps each class to the protocol's exact text."""

from __future__ import annotations


class LedgerError(Exception):
    """A command the ledger refused; nothing was recorded."""


class UnknownOrder(LedgerError):
    pass


class UnknownService(LedgerError):
    pass


class InvalidQuantity(LedgerError):
    pass


class QuantityBelowMinimum(LedgerError):
    def __init__(self, minimum: int) -> None:
        super().__init__(f"quantity below {minimum}")
        self.minimum = minimum


class QuantityAboveMaximum(LedgerError):
    def __init__(self, maximum: int) -> None:
        super().__init__(f"quantity above {maximum}")
        self.maximum = maximum


class InvalidLink(LedgerError):
    pass


class NotEnoughFunds(LedgerError):
    pass


class ActiveOrderWithLink(LedgerError):
    pass


class OrderNotRefillable(LedgerError):
    pass


class UnknownRefill(LedgerError):
    pass


class OrderNotCancelable(LedgerError):
    pass


class IncorrectRequest(LedgerError):
    """A required field is missing or malformed; the message says which."""


class UnknownAccount(LedgerError):
    pass


class AccountExists(LedgerError):
    pass


class InvalidTransition(LedgerError):
    """A fulfilment report that does not fit the order's or refill's current state."""


class ClaimTaken(InvalidTransition):
    """Another bot holds an unexpired claim on this order or refill."""


class NotDue(InvalidTransition):
    """Nothing may be handed out yet: the next drip-feed run is not due."""


class AmountOutOfRange(LedgerError):
    """An amount past the ledger's bound or below its precision, or a total it would take past
    the bound (domain/money.py says why the bound is where it is)."""


class ChargeOutOfRange(NotEnoughFunds):
    """A charge no account may take: at or past the bound on an account's charges."""


class InvalidAdjustment(LedgerError):
    """An adjustment that says nothing: zero, or without a note saying why."""


class InvalidUpstream(LedgerError):
    """An upstream provider's name or address the ledger cannot take."""


class UnknownUpstream(LedgerError):
    pass


class UpstreamExists(LedgerError):
    pass


class CatalogueChanged(LedgerError):
    """An import planned against a catalogue that changed before it was recorded (a number
    it chose for a new service was listed meanwhile): nothing of that batch recorded."""
