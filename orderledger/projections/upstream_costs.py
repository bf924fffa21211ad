"""What upstreams charged for the orders forwarded to them, as a pure fold of the orders'
events: the statement of an upstream and `projections verify` share it.

An order's `UpstreamCostReported` is what the upstream charges for it *now* (the `charge` of
its status answer): the first report is a charge, a later lower one a refund of the
difference (a Partial or a Cancel there), a higher one a further charge. Each report's change
is one movement, of the upstream the order was last sent to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from orderledger.domain.money import ZERO
from orderledger.domain.order import Order

EVENTS = (
    Order.ForwardAttempted,
    Order.Forwarded,
    Order.UpstreamOrderAttached,
    Order.UpstreamCostReported,
)


@dataclass(frozen=True)
class CostChange:
    upstream: str
    order_id: str
    upstream_order: str | None
    cost: Decimal  # what the upstream charges for the order now
    amount: Decimal  # the change: positive a charge, negative a refund
    currency: str


@dataclass
class UpstreamCosts:
    """Feed it every event of EVENTS in log order; `add` says what each did to the money."""

    upstream_of: dict[str, str] = field(default_factory=dict)  # order id -> upstream
    upstream_order_of: dict[str, str] = field(default_factory=dict)
    cost_of: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (order, upstream)

    def add(self, event: Any) -> CostChange | None:
        order = str(event.originator_id)
        if isinstance(event, Order.ForwardAttempted):
            self.upstream_of[order] = event.upstream
        elif isinstance(event, Order.Forwarded | Order.UpstreamOrderAttached):
            self.upstream_order_of[order] = event.upstream_order
        elif isinstance(event, Order.UpstreamCostReported):
            return self.reported(order, event.cost, event.currency)
        return None

    def reported(self, order: str, cost: Decimal, currency: str) -> CostChange | None:
        upstream = self.upstream_of.get(order)
        if upstream is None:  # never sent anywhere: `projections verify` names it
            return None
        before = self.cost_of.get((order, upstream), ZERO)
        self.cost_of[(order, upstream)] = cost
        if cost == before:
            return None
        return CostChange(
            upstream, order, self.upstream_order_of.get(order), cost, cost - before, currency
        )
