"""Money is Decimal end to end, fixed to five places, rounded half-up.

The bound on amounts, and why it is enough. Five places in Decimal's 28 significant digits
hold exactly every amount below 10**23 (23 digits before the point, 5 after): at or past that,
quantizing fails and any sum silently loses places. The ledger therefore keeps every figure it
computes well inside that range, with two bounds:

- MAX_AMOUNT (10**12): one amount an operator types or a catalogue gives (a deposit, an
  adjustment, a postpaid account's figure, a service's rate) is below it in absolute value,
  and has five places at most (a rate may have more: it is per thousand units).
- MAX_TOTAL (10**18): each of an account's totals (its deposits, charges, refunds and
  adjustments, each the sum of all its movements) stays below it: the Account aggregate
  refuses the deposit, adjustment or charge that would reach it. A million of the largest
  deposits reach it; nothing real does.

Every figure the ledger derives adds or subtracts a handful of these: a balance is credit +
deposits + adjustments - charges + refunds, what a postpaid account owes is charges - refunds
- deposits - adjustments, a statement's running balance and verify's sums are the same totals
taken in order. Each is below 10**12 + 4 * 10**18 < 10**19: 24 digits with five places,
inside the exact 28. An order's charge is one of its account's charges, so below MAX_TOTAL
too, and a charge that would pass it is refused before it is recorded (NotEnoughFunds: no
account may spend that much).

The products are computed exactly, not in 28 digits: rate x quantity / 1000 with the largest
quantity a service allows (2**63 - 1, times 1000 drip-feed runs) and the largest rate is about
10**31, and a Partial's share, charge x remains / quantity, multiplies a 23-digit charge by a
22-digit count. `charge_for` multiplies in a context wide enough for the exact product (and
traps any rounding, so an inexact result fails loudly), and `share_of` divides in integers;
each is then rounded once, half-up, to five places. For the amounts ledgers hold (rates with
five places or fewer, charges below MAX_TOTAL) the 28-digit arithmetic was already exact, so
these answers are the ones it gave.
"""

from __future__ import annotations

from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
)

from orderledger.domain.errors import ChargeOutOfRange

PLACES = Decimal("0.00001")
ZERO = Decimal("0.00000")

MAX_AMOUNT = Decimal(10) ** 12
MAX_TOTAL = Decimal(10) ** 18
EXACT_LIMIT = Decimal(10) ** 23  # five places in 28 digits hold exactly what is below it

# Rounding to five places: the default precision, half-up; an amount past it fails.
LEDGER = Context(
    prec=28, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow]
)


def exact_context(digits: int = 28) -> Context:
    """Arithmetic that fails (Inexact) rather than round to fit `digits`."""
    return Context(
        prec=max(digits, 28),
        rounding=ROUND_HALF_UP,
        traps=[InvalidOperation, DivisionByZero, Overflow, Inexact, Rounded],
    )


class InvalidAmount(ValueError):
    """An amount that is not a finite decimal number, or not one the ledger can hold."""


def money(value: Decimal | int | str) -> Decimal:
    """Round to the ledger's five places, half-up; refuse what five places cannot hold."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise InvalidAmount(f"not a decimal amount: {value!r}") from error
    if not amount.is_finite():
        raise InvalidAmount(f"not a finite amount: {value}")
    if abs(amount) >= EXACT_LIMIT:
        raise InvalidAmount(
            f"amount {amount:f} is past what the ledger holds to five places (below 10**23)"
        )
    return amount.quantize(PLACES, context=LEDGER)


def parse_amount(text: str) -> Decimal:
    """Read an amount typed by an operator or found in a catalogue file (never via float)."""
    try:
        amount = Decimal(str(text).strip())
    except InvalidOperation as error:
        raise InvalidAmount(f"not a decimal amount: {text!r}") from error
    if not amount.is_finite():
        raise InvalidAmount(f"not a finite amount: {text!r}")
    return amount


def within_bound(amount: Decimal, what: str = "amount") -> Decimal:
    """`amount` itself if it is below MAX_AMOUNT in absolute value (any number of places)."""
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise InvalidAmount(
            f"{what} {amount:f} is too large: the ledger takes amounts below {MAX_AMOUNT:f}"
        )
    return amount


def checked_amount(amount: Decimal, what: str = "amount") -> Decimal:
    """One amount given to the ledger (a deposit, a postpaid figure): below MAX_AMOUNT and
    with five places at most (what is below the ledger's precision is refused, not rounded
    away), as the ledger records it."""
    within_bound(amount, what)
    held = money(amount)
    if held != amount:
        raise InvalidAmount(
            f"{what} {amount:f} has more than five decimal places: the ledger keeps five "
            f"(0.00001 is the smallest amount)"
        )
    return held


def typed_amount(text: str, *, positive: bool = True, signed: bool = False) -> Decimal:
    """An amount typed by an operator (the command line's, the console's): a decimal number
    within the ledger's bound, with five places at most (the ledger refuses what it would
    have to round). `signed`: either sign, but not zero (a correction)."""
    value = parse_amount(text)
    if signed:
        if value == 0:
            raise InvalidAmount(f"amount must not be zero, not {text}")
    elif positive and value <= 0:
        raise InvalidAmount(f"amount must be positive, not {text}")
    elif value < 0:
        raise InvalidAmount(f"amount must not be negative, not {text}")
    return checked_amount(value)


def exact_sum(*terms: Decimal) -> Decimal:
    """The sum of `terms`, exactly: InvalidAmount rather than a sum rounded to fit."""
    context = exact_context()
    total = ZERO
    try:
        for term in terms:
            total = context.add(total, term)
    except (Inexact, Rounded, InvalidOperation) as error:
        raise InvalidAmount("a sum past what the ledger holds to five places") from error
    return total


def charge_for(rate: Decimal, quantity: int, *, flat: bool) -> Decimal:
    """Rate is per 1000 units; a flat (package) rate is the price itself. A charge no account
    may take (MAX_TOTAL or more) is refused: ChargeOutOfRange, a NotEnoughFunds."""
    exact = rate if flat else exact_per_thousand(rate, quantity)
    if abs(exact) >= MAX_TOTAL:
        raise ChargeOutOfRange(f"{exact:f}")
    return money(exact)


def exact_per_thousand(rate: Decimal, quantity: int) -> Decimal:
    """rate x quantity / 1000 with every digit (a context as wide as the product needs)."""
    context = exact_context(len(rate.as_tuple().digits) + len(str(abs(quantity))) + 4)
    return context.divide(context.multiply(rate, Decimal(quantity)), Decimal(1000))


def share_of(charge: Decimal, part: int, whole: int) -> Decimal:
    """The part/whole share of a charge, as Partial refunds the undelivered share: the exact
    share, rounded half-up to five places once."""
    if whole <= 0:
        return ZERO
    units = int(money(charge).scaleb(5, context=LEDGER))  # five places: a whole number
    quotient, remainder = divmod(abs(units) * part, whole)
    if 2 * remainder >= whole:
        quotient += 1
    return money(Decimal(quotient if units >= 0 else -quotient).scaleb(-5, context=LEDGER))


def wire(amount: Decimal) -> str:
    """The string a client sees: always five places, never an exponent."""
    return f"{money(amount):f}"


def plain(number: Decimal) -> str:
    """A decimal as written, in positional notation: `1E+3` is "1000", `1E-7` "0.0000001"."""
    return f"{number:f}"
