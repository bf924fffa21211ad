"""Each order's link, found by the link: what `orders list --link` looks orders up by.

A link may be 2,000 characters of any script, past what a PostgreSQL b-tree holds in one
entry (about 2,700 bytes), so the index is on a digest of the link (`link_key`); a look-up
compares the link itself too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from orderledger.domain.order import Order
from orderledger.projections.base import Projection


@dataclass(frozen=True)
class OrderLinkRow:
    id: str
    number: int
    link: str
    link_key: str


def link_key(link: str) -> str:
    return hashlib.sha256(link.encode("utf-8")).hexdigest()[:32]


def evolve(row: OrderLinkRow | None, event: Any) -> OrderLinkRow | None:
    if isinstance(event, Order.Placed):
        return OrderLinkRow(
            str(event.originator_id), event.number, event.link, link_key(event.link)
        )
    return row


ORDER_LINKS = Projection(
    name="order_links",
    table="orderledger_order_links",
    row_type=OrderLinkRow,
    events=(Order.Placed,),
    evolve=evolve,
    unique=("number",),
    indexed=("link_key",),
)
