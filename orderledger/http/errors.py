"""The one table from refusals to the protocol's error texts, which clients compare to the byte."""

from __future__ import annotations

from orderledger.domain import errors

INVALID_KEY = "Invalid API key"
INVALID_ACTION = "Invalid action"
INCORRECT_ORDER_ID = "Incorrect order ID"
REFILL_NOT_FOUND = "Refill not found"
INCORRECT_REQUEST = "Incorrect request"

FIXED_TEXTS: dict[type[errors.LedgerError], str] = {
    errors.UnknownOrder: INCORRECT_ORDER_ID,
    errors.UnknownService: "Incorrect service ID",
    errors.InvalidQuantity: "Incorrect quantity",
    errors.InvalidLink: "Incorrect link",
    errors.NotEnoughFunds: "Not enough funds on balance",
    errors.ActiveOrderWithLink: (
        "You have active order with this link. Please wait until order being completed."
    ),
    errors.OrderNotRefillable: "Order cannot be refilled",
    errors.UnknownRefill: REFILL_NOT_FOUND,
    errors.OrderNotCancelable: "Order cannot be canceled",
}


def error_text(error: errors.LedgerError) -> str:
    match error:
        case errors.QuantityBelowMinimum():
            return f"Quantity less than minimal {error.minimum}"
        case errors.QuantityAboveMaximum():
            return f"Quantity more than maximal {error.maximum}"
        case errors.IncorrectRequest():
            reason = str(error)
            return f"{INCORRECT_REQUEST}: {reason}" if reason else INCORRECT_REQUEST
    for cls, text in FIXED_TEXTS.items():
        if isinstance(error, cls):
            return text
    return f"{INCORRECT_REQUEST}: {error}"
