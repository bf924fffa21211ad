"""The words and figures of upstream answers, as real providers write them.

Status words are compared without case, spaces, underscores or hyphens: "In Progress",
"inprogress" and "in_progress" are one word. The words known are the protocol's own and the
variants large panels are seen to write; any other is not guessed at (the caller gets it back
as unreadable), because a status moves money: a wrong `Canceled` refunds an order.

- "Processing" stays Processing (accepted by the upstream, not started); "In progress",
  "Active", "Running" and "Started" are In progress (delivery has begun).
- "Fail" is Failed. "Error" is *not*: panels use it both for an order that failed and for one
  stuck on their side; an operator decides.
- Counts (remains, start_count) are whole numbers: 12, "12", and "12.0" (a whole number
  written with a zero fraction); not "12.5", "1e3" or negatives. An unreadable start_count is
  unknown (it moves no money); an unreadable remains makes the answer unreadable.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from orderledger.domain.order import OrderStatus
from orderledger.domain.refill import RefillStatus

SEPARATORS = re.compile(r"[\s_-]+")


def word_key(word: str) -> str:
    return SEPARATORS.sub("", word).lower()


ORDER_WORDS: dict[str, OrderStatus] = {
    "pending": OrderStatus.PENDING,
    "processing": OrderStatus.PROCESSING,
    "inprogress": OrderStatus.IN_PROGRESS,
    "active": OrderStatus.IN_PROGRESS,
    "running": OrderStatus.IN_PROGRESS,
    "started": OrderStatus.IN_PROGRESS,
    "completed": OrderStatus.COMPLETED,
    "complete": OrderStatus.COMPLETED,
    "partial": OrderStatus.PARTIAL,
    "partiallycompleted": OrderStatus.PARTIAL,
    "partialcompleted": OrderStatus.PARTIAL,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "refunded": OrderStatus.REFUNDED,
    "failed": OrderStatus.FAILED,
    "fail": OrderStatus.FAILED,
}

REFILL_WORDS: dict[str, RefillStatus] = {
    "pending": RefillStatus.PENDING,
    "inprogress": RefillStatus.IN_PROGRESS,
    "processing": RefillStatus.IN_PROGRESS,
    "active": RefillStatus.IN_PROGRESS,
    "completed": RefillStatus.COMPLETED,
    "complete": RefillStatus.COMPLETED,
    "rejected": RefillStatus.REJECTED,
    "failed": RefillStatus.FAILED,
    "fail": RefillStatus.FAILED,
}


def order_status(word: object) -> OrderStatus | None:
    return ORDER_WORDS.get(word_key(word)) if isinstance(word, str) else None


def refill_status(word: object) -> RefillStatus | None:
    return REFILL_WORDS.get(word_key(word)) if isinstance(word, str) else None


# ---- error texts --------------------------------------------------------------------------

FUNDS_SHORT = re.compile(
    r"not\s+enough\s+(funds|balance|money|credit)"
    r"|insufficient\s+(funds|balance|credit)"
    r"|(balance|funds)\s+(is\s+|are\s+)?(too\s+low|not\s+enough|insufficient)"
    r"|low\s+balance",
    re.IGNORECASE,
)
KEY_REFUSED = re.compile(
    r"(invalid|incorrect|wrong|unknown|bad)\s+(api[\s_-]*)?key\b"  # not "Incorrect keywords"
    r"|\bkey\s+(is\s+)?(invalid|incorrect|wrong|not\s+valid|disabled|blocked)",
    re.IGNORECASE,
)
NOT_FOUND = re.compile(
    r"(incorrect|invalid|unknown|wrong)\s+(order|refill)?\s*id"
    r"|not\s+found|does\s*n[o']t\s+exist|no\s+such",
    re.IGNORECASE,
)


def says_funds_short(text: str) -> bool:
    return FUNDS_SHORT.search(text) is not None


def says_key_refused(text: str) -> bool:
    return KEY_REFUSED.search(text) is not None


def says_not_found(text: str) -> bool:
    return NOT_FOUND.search(text) is not None


# ---- figures ------------------------------------------------------------------------------

WHOLE = re.compile(r"\d{1,19}(\.0+)?")


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def amount_of(value: object) -> Decimal | None:
    """A finite decimal from a string, an int or a Decimal (JSON read with parse_float=Decimal);
    None for anything else, a float included: money is never a float."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def count_of(value: object) -> int | None:
    """A whole number >= 0 (see the module's docstring), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, Decimal):
        text = str(value) if value.is_finite() else ""
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    return int(Decimal(text)) if WHOLE.fullmatch(text) else None


def id_text(value: object) -> str | None:
    """An id as text: a positive whole number or a non-empty string, stripped."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        number = count_of(value)
        return str(number) if number else None
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def id_key(value: object) -> str | None:
    """An id as the key answers are matched by: "0123" and 123 are one id."""
    text = id_text(value)
    if text is not None and text.isascii() and text.isdigit():
        return str(int(text))
    return text
