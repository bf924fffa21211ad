"""The `add` an upstream is sent for an order: every field the network sent, as it sent it.

The order keeps what `add` read (domain/service_types.py): its link, quantity, drip-feed runs
and interval, and the type's own fields in `details` (lists split into items, a subscription's
expiry as an ISO date). Here they are written back as API v2 fields, so the upstream reads
the same order the network placed; only `service` is the upstream's own number.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from orderledger.domain.order import Order
from orderledger.domain.service_types import SERVICE_TYPES, Charging

# What `details` keeps that is not a field of `add`: the rate a subscription's posts are
# charged at here, which is this provider's price, not the upstream's.
NOT_SENT = frozenset({"rate"})


def field_text(name: str, value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    if name == "expiry":
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    return str(value)


def add_fields(order: Order, upstream_service: int) -> dict[str, str]:
    """The fields of the `add` that forwards `order` as `upstream_service` of the upstream."""
    fields = {"service": str(upstream_service)}
    if order.link:
        fields["link"] = order.link
    rule = SERVICE_TYPES.get(order.service_type)
    if rule is not None and rule.charging is Charging.QUANTITY:
        fields["quantity"] = str(order.quantity)
    if order.runs is not None and order.interval is not None:
        fields["runs"], fields["interval"] = str(order.runs), str(order.interval)
    for name, value in order.details.items():
        if name not in NOT_SENT:
            fields[name] = field_text(name, value)
    return fields
