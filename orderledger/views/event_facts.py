"""An event's own facts as plain JSON values, without the bookkeeping every event carries."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from orderledger.domain.money import wire

BOOKKEEPING = frozenset({"originator_id", "originator_version", "originator_topic", "timestamp"})
MAKER = "by"  # a report's maker: shown as the entry's "who", not among its facts
NOT_FACTS = BOOKKEEPING | {MAKER}
NETWORK = "network"
# What the network asks for itself (add, cancel request, refill request).
NETWORK_EVENTS = frozenset(
    {"Order.Placed", "Order.CancelRequested", "Order.RefillRequested", "Refill.Requested"}
)
CLAIMS = frozenset({"Order.Claimed", "Refill.Claimed"})  # a claim names the bot it went to
FORWARDER = "forwarder"
# What the forwarder records of its attempts and of the upstream's answers (it names no maker).
FORWARDER_EVENTS = frozenset(
    {
        "Order.ForwardAttempted",
        "Order.Forwarded",
        "Order.ForwardNotPlaced",
        "Order.ForwardInDoubt",
        "Order.UpstreamCostReported",
        "Order.CancelForwarded",
    }
)


def plain(value: Any) -> Any:
    match value:
        case Decimal():
            return wire(value)
        case UUID():
            return str(value)
        case datetime():
            return value.isoformat()
        case Enum():
            return plain(value.value)
        case dict():
            return {str(k): plain(v) for k, v in value.items()}
        case list() | tuple():
            return [plain(v) for v in value]
    return value


def facts_of(event: Any) -> dict[str, Any]:
    return {k: plain(v) for k, v in vars(event).items() if k not in NOT_FACTS}


def who_of(event: Any) -> str | None:
    """Who made the event: the network, a bot by its name, "staff" or "sweep"; None for a
    report stored before makers were recorded."""
    name = event_name(event)
    if name in NETWORK_EVENTS:
        return NETWORK
    if name in CLAIMS:
        return str(event.operator)
    if name in FORWARDER_EVENTS:
        return FORWARDER
    # Not every stored event has `by`, and the event classes give it no default.
    return str(getattr(event, MAKER, "")) or None


def event_name(event: Any) -> str:
    return type(event).__qualname__


class InvalidMoment(ValueError):
    """A timestamp that is not ISO 8601."""


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment; one without a zone is taken as UTC (events are stamped in UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidMoment(f"not an ISO 8601 timestamp: {text!r}") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
