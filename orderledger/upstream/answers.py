"""Reading an upstream's answers (parsed JSON) as real providers write them. Pure: no I/O.

Exactly once depends on how an answer is read, so a reader never guesses. An `add` answer is
an order id only when it says so plainly (`{"order": 23501}`, or `"23501"`); an error text is
the upstream's own refusal (funds short, or another reason); anything else raises
UnreadableAnswer, which for an `add` means the outcome is unknown. Per-id answers (status,
cancel, refill_status) read each id on its own: one odd entry makes that id Unreadable, not
the whole answer, and an id the answer leaves out is Unreadable too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from orderledger.domain.catalogue import CatalogueEntry, CatalogueError, read_entry
from orderledger.domain.order import OrderStatus
from orderledger.domain.refill import RefillStatus
from orderledger.upstream.errors import FundsShort, KeyRefused, Refused, UnreadableAnswer
from orderledger.upstream.words import (
    amount_of,
    count_of,
    id_key,
    id_text,
    is_blank,
    order_status,
    refill_status,
    says_funds_short,
    says_key_refused,
    says_not_found,
)


@dataclass(frozen=True)
class UpstreamBalance:
    amount: Decimal
    currency: str  # "" when the upstream does not say


@dataclass(frozen=True)
class ServiceList:
    entries: list[CatalogueEntry]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (service id, reason)


@dataclass(frozen=True)
class StatusAnswer:
    status: OrderStatus
    charge: Decimal | None
    start_count: int | None
    remains: int | None
    currency: str | None


@dataclass(frozen=True)
class Unreadable:
    """This id's answer is not one the protocol documents; `reason` says what is wrong."""

    reason: str


@dataclass(frozen=True)
class NotFound:
    """The upstream says it has no such order (or refill) for our key."""

    reason: str


@dataclass(frozen=True)
class Accepted:
    """A cancel the upstream took (a request: the order's status shows what came of it)."""

    message: str


@dataclass(frozen=True)
class Refusal:
    reason: str


OrderAnswer = StatusAnswer | Unreadable | NotFound
RefillAnswer = RefillStatus | Unreadable | NotFound
CancelAnswer = Accepted | Refusal | Unreadable
T = TypeVar("T")


def parse(body: bytes) -> Any:
    """JSON with every fraction a Decimal; a UTF-8 BOM (PHP panels send one) is allowed."""
    try:
        return json.loads(body.decode("utf-8-sig"), parse_float=Decimal, parse_constant=refuse)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise UnreadableAnswer(f"not JSON: {describe(body)}") from None


def refuse(constant: str) -> None:
    raise ValueError(f"{constant} is not a number")


def describe(body: bytes) -> str:
    """The start of a body, for a reason: enough to tell HTML from a PHP notice."""
    if not body.strip():
        return "an empty body"
    text = body[:80].decode("utf-8", "replace")
    return repr(text + ("..." if len(body) > 80 else ""))


def error_text(doc: object) -> str | None:
    """The text of an `{"error": ...}` answer (the error may be any JSON value)."""
    if not isinstance(doc, dict) or "error" not in doc:
        return None
    error = doc["error"]
    return error.strip() if isinstance(error, str) else shape(error)


def raise_error(text: str) -> None:
    """A whole answer that is an error: the key, funds, or the upstream's own refusal."""
    if says_key_refused(text):
        raise KeyRefused(text)
    if says_funds_short(text):
        raise FundsShort(text)
    raise Refused(text)


def raise_if_error(doc: object) -> None:
    text = error_text(doc)
    if text is not None:
        raise_error(text)


# ---- balance and services -----------------------------------------------------------------


def read_balance(doc: object) -> UpstreamBalance:
    raise_if_error(doc)
    if not isinstance(doc, dict) or "balance" not in doc:
        raise UnreadableAnswer("a balance answer without a balance")
    amount = amount_of(doc["balance"])
    if amount is None:
        raise UnreadableAnswer(f"the balance is not a number: {doc['balance']!r}")
    currency = doc.get("currency")
    return UpstreamBalance(amount, currency.strip() if isinstance(currency, str) else "")


def read_services(doc: object) -> ServiceList:
    raise_if_error(doc)
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):
        doc = doc["data"]
    if not isinstance(doc, list):
        raise UnreadableAnswer("a services answer that is not a list")
    entries: list[CatalogueEntry] = []
    skipped: list[tuple[str, str]] = []
    seen: set[int] = set()
    for position, raw in enumerate(doc, start=1):
        number = raw.get("service") if isinstance(raw, dict) else None
        name = id_text(number) or f"entry {position}"
        try:
            entry = read_entry(raw, position)
        except CatalogueError as error:
            skipped.append((name, str(error)))
            continue
        if entry.number in seen:
            skipped.append((name, f"entry {position}: service {entry.number} appears twice"))
            continue
        seen.add(entry.number)
        entries.append(entry)
    return ServiceList(entries, skipped)


# ---- add and refill: one id, or a refusal -------------------------------------------------


def read_added(doc: object) -> str:
    """The upstream's order id; raises FundsShort, Refused, KeyRefused or UnreadableAnswer."""
    if isinstance(doc, dict) and "error" in doc and "order" not in doc:
        raise_if_error(doc)
    if not isinstance(doc, dict) or "error" in doc:
        raise UnreadableAnswer(f"not an add answer: {shape(doc)}")
    order = id_text(doc.get("order"))
    if order is None:
        raise UnreadableAnswer(f"an add answer without an order id: {shape(doc)}")
    return order


def read_refill(doc: object) -> str:
    """The upstream's refill id; raises Refused, KeyRefused or UnreadableAnswer."""
    if isinstance(doc, list) and len(doc) == 1:  # a multi answer to a single request
        doc = doc[0]
    if isinstance(doc, dict) and "refill" not in doc:
        raise_if_error(doc)
    if not isinstance(doc, dict):
        raise UnreadableAnswer(f"not a refill answer: {shape(doc)}")
    refill = doc.get("refill")
    refused = error_text(refill)
    if refused is not None:
        raise Refused(refused)
    number = id_text(refill)
    if number is None:
        raise UnreadableAnswer(f"a refill answer without a refill id: {shape(doc)}")
    return number


def shape(doc: object) -> str:
    """An answer, shortened for a reason."""
    text = json.dumps(doc, default=str, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


# ---- per-id answers -----------------------------------------------------------------------


def per_id(
    doc: object,
    ids: Sequence[str],
    id_field: str,
    read: Callable[[object], T],
    missing: Callable[[str], T],
) -> dict[str, T]:
    """Each requested id's entry of an answer keyed by id (an object) or listing them (an
    array of objects naming the id in `id_field`), read by `read`."""
    raise_if_error(doc)
    entries: Mapping[str | None, object]
    if isinstance(doc, dict):
        entries = {id_key(key): value for key, value in doc.items()}
    elif isinstance(doc, list):
        entries = dict(listed(doc, id_field))
    else:
        raise UnreadableAnswer(f"a multi answer that is neither an object nor a list: {shape(doc)}")
    answers = {}
    for requested in ids:
        key = id_key(requested)
        answers[requested] = read(entries[key]) if key in entries else missing(requested)
    return answers


def listed(doc: Iterable[object], id_field: str) -> Iterable[tuple[str | None, object]]:
    for item in doc:
        if isinstance(item, dict):
            yield id_key(item.get(id_field)), item


def left_out(requested: str) -> Unreadable:
    return Unreadable(f"the answer says nothing of {requested}")


def read_statuses(doc: object, ids: Sequence[str]) -> dict[str, OrderAnswer]:
    if len(ids) == 1 and isinstance(doc, dict) and "status" in doc:
        return {ids[0]: read_status(doc)}  # a single answer to a one-id request
    return per_id(doc, ids, "order", read_status, left_out)


def read_status(doc: object) -> OrderAnswer:
    if not isinstance(doc, dict):
        return Unreadable(f"not a status: {shape(doc)}")
    error = error_text(doc)
    if error is not None:
        if says_key_refused(error):
            raise KeyRefused(error)
        return NotFound(error) if says_not_found(error) else Unreadable(error)
    status = order_status(doc.get("status"))
    if status is None:
        return Unreadable(f"unknown status {doc.get('status')!r}")
    charge = None if is_blank(doc.get("charge")) else amount_of(doc.get("charge"))
    if not is_blank(doc.get("charge")) and (charge is None or charge < 0):
        return Unreadable(f"charge is not an amount: {doc.get('charge')!r}")
    remains = None if is_blank(doc.get("remains")) else count_of(doc.get("remains"))
    if not is_blank(doc.get("remains")) and remains is None:
        return Unreadable(f"remains is not a count: {doc.get('remains')!r}")
    currency = doc.get("currency")
    return StatusAnswer(
        status=status,
        charge=charge,
        start_count=count_of(doc.get("start_count")),
        remains=remains,
        currency=currency.strip() if isinstance(currency, str) and currency.strip() else None,
    )


def read_cancels(doc: object, ids: Sequence[str]) -> dict[str, CancelAnswer]:
    if len(ids) == 1 and isinstance(doc, dict) and "cancel" in doc:
        return {ids[0]: read_cancel(doc)}
    return per_id(doc, ids, "order", read_cancel, left_out)


def read_cancel(item: object) -> CancelAnswer:
    if not isinstance(item, dict):
        return Unreadable(f"not a cancel answer: {shape(item)}")
    error = error_text(item) if "cancel" not in item else error_text(item["cancel"])
    if error is not None:
        if says_key_refused(error):
            raise KeyRefused(error)
        return Refusal(error)
    cancel = item.get("cancel")
    if isinstance(cancel, str) and cancel.strip():
        return Accepted(cancel.strip())
    if cancel is True or cancel == 1:
        return Accepted("")
    return Unreadable(f"not a cancel answer: {shape(item)}")


def read_refill_statuses(doc: object, ids: Sequence[str]) -> dict[str, RefillAnswer]:
    if len(ids) == 1 and isinstance(doc, dict) and "status" in doc:
        return {ids[0]: read_refill_status(doc)}
    return per_id(doc, ids, "refill", read_refill_status, left_out)


def read_refill_status(item: object) -> RefillAnswer:
    if isinstance(item, str):  # {"1": "Completed"}
        item = {"status": item}
    if not isinstance(item, dict):
        return Unreadable(f"not a refill status: {shape(item)}")
    error = error_text(item) if "status" not in item else error_text(item["status"])
    if error is not None:
        if says_key_refused(error):
            raise KeyRefused(error)
        return NotFound(error) if says_not_found(error) else Unreadable(error)
    status = refill_status(item.get("status"))
    return status if status is not None else Unreadable(f"unknown status {item.get('status')!r}")
