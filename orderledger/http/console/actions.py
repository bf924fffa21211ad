"""The staff actions of an order's page, as forms: one msgspec tagged union on `action`, each
carried out by the ledger's own command (application/lifecycle.py), the same as the CLI's
and the fulfilment API's, in a command thread, in the name of whoever is signed in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import msgspec

from orderledger.application.ledger import Ledger
from orderledger.domain import errors
from orderledger.domain.order import OrderStatus
from orderledger.domain.refill import RefillStatus


class Form(msgspec.Struct, tag_field="action", forbid_unknown_fields=False):
    pass


class Start(Form, tag="start"):
    start_count: int


class Deliver(Form, tag="deliver"):
    delivered: int


class Complete(Form, tag="complete"):
    pass


class Partial(Form, tag="partial"):
    remains: int


class Cancel(Form, tag="cancel"):
    pass


class Fail(Form, tag="fail"):
    reason: str


class Refund(Form, tag="refund"):
    pass


class Attach(Form, tag="attach"):
    """An order in doubt is this upstream order (staff found it there)."""

    upstream_order: str
    confirmed: Literal["yes"]  # the form's checkbox: looked at the upstream first


class ForwardAgain(Form, tag="forward-again"):
    """An order in doubt was never placed upstream: the forwarder sends it anew."""

    confirmed: Literal["yes"]  # it may be placed twice if the upstream has it after all


OrderAction = Start | Deliver | Complete | Partial | Cancel | Fail | Refund | Attach | ForwardAgain


class RefillStart(Form, tag="start"):
    pass


class RefillComplete(Form, tag="complete"):
    pass


class RefillReject(Form, tag="reject"):
    reason: str = ""


class RefillFail(Form, tag="fail"):
    reason: str = ""


RefillAction = RefillStart | RefillComplete | RefillReject | RefillFail

UNFINISHED = (OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.IN_PROGRESS)
# Which forms an order's page offers in each status; the aggregate still decides each.
OFFERED: dict[str, tuple[str, ...]] = {
    OrderStatus.PENDING.value: ("start", "cancel", "fail"),
    OrderStatus.PROCESSING.value: ("start", "cancel", "fail"),
    OrderStatus.IN_PROGRESS.value: ("deliver", "complete", "partial", "cancel", "fail"),
    OrderStatus.COMPLETED.value: ("refund",),
    OrderStatus.PARTIAL.value: ("refund",),
}
# An order in doubt at its upstream: what its page offers (views/forwards.py tells the state).
IN_DOUBT_OFFERED = ("attach", "forward-again")
REFILL_OFFERED: dict[str, tuple[str, ...]] = {
    RefillStatus.PENDING.value: ("start", "complete", "reject", "fail"),
    RefillStatus.IN_PROGRESS.value: ("complete", "reject", "fail"),
}


class FormRefused(ValueError):
    """A form that is not one of the actions, or whose fields are not what it takes."""


def parsed(fields: dict[str, Any], action: str, kind: Any) -> Any:
    try:
        return msgspec.convert({**fields, "action": action}, type=kind, strict=False)
    except msgspec.ValidationError as error:
        raise FormRefused(str(error).replace("$.", "")) from None


def order_command(ledger: Ledger, number: int, action: OrderAction) -> Callable[..., Any]:
    """The ledger's command for this form, its arguments bound but for `by` and `now`."""
    match action:
        case Start(start_count=count):
            return lambda **who: ledger.start_order(number, count, **who)
        case Deliver(delivered=delivered):
            return lambda **who: ledger.report_delivery(number, delivered, **who)
        case Complete():
            return lambda **who: ledger.complete_order(number, **who)
        case Partial(remains=remains):
            return lambda **who: ledger.stop_partial(number, remains, **who)
        case Cancel():
            return lambda **who: ledger.cancel_order(number, **who)
        case Fail(reason=reason):
            return lambda **who: ledger.fail_order(number, reason, **who)
        case Refund():
            return lambda **who: ledger.refund_order(number, **who)
        case Attach(upstream_order=upstream_order):
            # the same commands as `orders attach` and `orders forward --again`
            return lambda by, now: ledger.attach_upstream_order(number, upstream_order, by=by)
        case ForwardAgain():
            return lambda by, now: ledger.forward_again(number, by=by)
    raise FormRefused(f"no action {action!r}")


def refill_command(ledger: Ledger, number: int, action: RefillAction) -> Callable[..., Any]:
    match action:
        case RefillStart():
            return lambda **who: ledger.start_refill(number, **who)
        case RefillComplete():
            return lambda **who: ledger.complete_refill(number, **who)
        case RefillReject(reason=reason):
            return lambda **who: ledger.reject_refill(number, reason, **who)
        case RefillFail(reason=reason):
            return lambda **who: ledger.fail_refill(number, reason, **who)
    raise FormRefused(f"no action {action!r}")


def refusal_text(error: errors.LedgerError) -> str:
    """What the page says of a refused command: the rule's own words."""
    return {
        errors.UnknownOrder: f"no order {error}",
        errors.UnknownRefill: f"no refill {error}",
    }.get(type(error), str(error) or type(error).__name__)
