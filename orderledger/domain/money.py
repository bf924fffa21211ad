"""Money is Decimal end to end, fixed to five places, rounded half-up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PLACES = Decimal("0.00001")
ZERO = Decimal("0.00000")


class InvalidAmount(ValueError):
    """An amount that is not a finite decimal number."""


def money(value: Decimal | int | str) -> Decimal:
    """Round to the ledger's five places, half-up."""
    return Decimal(value).quantize(PLACES, rounding=ROUND_HALF_UP)


def parse_amount(text: str) -> Decimal:
    """Read an amount typed by an operator or found in a catalogue file (never via float)."""
    try:
        amount = Decimal(str(text).strip())
    except InvalidOperation as error:
        raise InvalidAmount(f"not a decimal amount: {text!r}") from error
    if not amount.is_finite():
        raise InvalidAmount(f"not a finite amount: {text!r}")
    return amount


def charge_for(rate: Decimal, quantity: int, *, flat: bool) -> Decimal:
    """Rate is per 1000 units; a flat (package) rate is the price itself."""
    if flat:
        return money(rate)
    return money(rate * quantity / 1000)


def share_of(charge: Decimal, part: int, whole: int) -> Decimal:
    """The part/whole share of a charge, as Partial refunds the undelivered share."""
    if whole <= 0:
        return ZERO
    return money(charge * part / whole)


def wire(amount: Decimal) -> str:
    """The string a client sees: always five places, never an exponent."""
    return f"{money(amount):f}"
